package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;

/**
 * Exact top k of an output layer's scores: every class is scored, in blocks of examples whose scores fit one bounded
 * buffer, and each row's k best are kept in a primitive binary heap while the row is scanned once (no boxing, no
 * sort of the row). Ties go to the smaller class id.
 */
public final class TopK {
    private TopK() {
    }

    /** The ids of the k largest of {@code row[0..n)}, largest first. */
    public static int[] of(float[] row, int n, int k) {
        return of(row, 0, n, k);
    }

    /** The ids (0-based from {@code from}) of the k largest of {@code data[from..from+n)}, largest first. */
    public static int[] of(float[] data, int from, int n, int k) {
        int size = Math.min(k, n);
        int[] id = new int[size];
        float[] val = new float[size];
        int filled = 0;
        for (int c = 0; c < n; c++) {
            float v = data[from + c];
            if (filled < size) {
                id[filled] = c;
                val[filled] = v;
                up(id, val, filled++);
            } else if (better(v, c, val[0], id[0])) {
                id[0] = c;
                val[0] = v;
                down(id, val, size);
            }
        }
        int[] out = new int[size];
        for (int i = size - 1; i >= 0; i--) {          // pop the worst first
            out[i] = id[0];
            id[0] = id[i];
            val[0] = val[i];
            down(id, val, i);
        }
        return out;
    }

    /**
     * The top k of the scores of every row of {@code h} (m x d_in), best first, scoring at most {@code buffer.rows()}
     * examples at a time into {@code buffer} (rows x D) and reading them into {@code host} (at least rows x D floats),
     * whose rows are then scanned in parallel. The layer's ranking scores are used ({@link OutputLayer#rankingScores}):
     * {@code host} holds the last block's scores less {@code offsets[i]} (offsets: at least m values, filled).
     */
    public static int[][] rows(Backend b, OutputLayer out, Tensor h, int k, Tensor buffer, float[] host,
                               double[] offsets) {
        int m = h.rows();
        int block = buffer.rows();
        int classes = out.classes();
        int[][] best = new int[m][];
        for (int from = 0; from < m; from += block) {
            int n = Math.min(block, m - from);
            int first = from;
            Tensor sv = buffer.rowRange(0, n);
            double[] blockOffsets = new double[n];
            out.rankingScores(h.rowRange(from, from + n), sv, blockOffsets);
            System.arraycopy(blockOffsets, 0, offsets, from, n);
            b.download(sv, host);
            java.util.stream.IntStream.range(0, n).parallel()
                    .forEach(i -> best[first + i] = of(host, i * classes, classes, k));
        }
        return best;
    }

    /** Whether (v, c) ranks before (w, d): a higher score, or the same score and a smaller id. */
    private static boolean better(float v, int c, float w, int d) {
        return v > w || v == w && c < d;
    }

    private static void up(int[] id, float[] val, int i) {
        while (i > 0) {
            int p = (i - 1) >> 1;
            if (!better(val[p], id[p], val[i], id[i])) {
                return;
            }
            swap(id, val, i, p);
            i = p;
        }
    }

    private static void down(int[] id, float[] val, int size) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            int r = l + 1;
            int worst = i;
            if (l < size && better(val[worst], id[worst], val[l], id[l])) {
                worst = l;
            }
            if (r < size && better(val[worst], id[worst], val[r], id[r])) {
                worst = r;
            }
            if (worst == i) {
                return;
            }
            swap(id, val, i, worst);
            i = worst;
        }
    }

    private static void swap(int[] id, float[] val, int a, int b) {
        int t = id[a];
        id[a] = id[b];
        id[b] = t;
        float x = val[a];
        val[a] = val[b];
        val[b] = x;
    }
}
