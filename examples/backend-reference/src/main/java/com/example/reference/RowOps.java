package com.example.reference;

/** The row-wise operations of the reference backend: log-softmax over a segment, the top k and the target's rank. */
final class RowOps {
    private RowOps() {
    }

    /**
     * {@code out[oo + j] = x[xo + j] - logsumexp(x[xo + from .. xo + to)) + offset} for j in {@code [from, to)}, in
     * double with the maximum subtracted first; a NaN anywhere in the segment makes the whole segment NaN. {@code out}
     * may be {@code x} (every value is read before it is written).
     */
    static void logSoftmax(float[] x, int xo, float[] out, int oo, int from, int to, double offset) {
        double max = Double.NEGATIVE_INFINITY;
        boolean nan = false;
        for (int j = from; j < to; j++) {
            float v = x[xo + j];
            if (v != v) {
                nan = true;
            } else if (v > max) {
                max = v;
            }
        }
        double sum = 0;
        for (int j = from; j < to; j++) {
            sum += Math.exp(x[xo + j] - max);
        }
        double shift = nan ? Double.NaN : max + Math.log(sum) - offset;
        for (int j = from; j < to; j++) {
            out[oo + j] = (float) (x[xo + j] - shift);
        }
    }

    /**
     * The columns of the k largest of {@code x[xo .. xo + n)}, largest first, into {@code out[o .. o + k)}: ties go to
     * the lower column, NaN ranks below every number. Insertion into a sorted list of k, O(n k) at worst.
     */
    static void topK(float[] x, int xo, int n, int k, int[] out, int o) {
        if (k == 0) {
            return;
        }
        int size = 0;
        for (int j = 0; j < n; j++) {
            float v = x[xo + j];
            if (size == k && !better(v, j, x[xo + out[o + k - 1]], out[o + k - 1])) {
                continue;
            }
            int p = size < k ? size++ : k - 1;
            while (p > 0 && better(v, j, x[xo + out[o + p - 1]], out[o + p - 1])) {
                out[o + p] = out[o + p - 1];
                p--;
            }
            out[o + p] = j;
        }
    }

    /** Whether value a at column i ranks above value b at column j: larger, NaN lowest, ties to the lower column. */
    private static boolean better(float a, int i, float b, int j) {
        boolean aNaN = a != a;
        boolean bNaN = b != b;
        if (aNaN || bNaN) {
            return aNaN == bNaN ? i < j : bNaN;
        }
        return a > b || (a == b && i < j);
    }

    /**
     * The 1-based rank of column {@code target} in {@code x[xo .. xo + n)}: 1 + the number of other columns whose
     * value is greater than or equal to it; a NaN target ranks last ({@code n}).
     */
    static int rank(float[] x, int xo, int n, int target) {
        float t = x[xo + target];
        if (t != t) {
            return n;
        }
        int atLeast = 0;
        for (int j = 0; j < n; j++) {
            if (x[xo + j] >= t) {
                atLeast++;              // the target itself counts once: 1 + the others
            }
        }
        return atLeast;
    }
}
