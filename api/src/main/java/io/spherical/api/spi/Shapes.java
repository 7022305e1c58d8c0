package io.spherical.api.spi;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;

/** Shape checks shared by backend implementations; a failure is a programming error. */
public final class Shapes {
    private Shapes() {
    }

    /** Fails unless {@code t} has exactly the given shape. */
    public static void require(Tensor t, int rows, int cols, String what) {
        if (t.rows() != rows || t.cols() != cols) {
            throw new IllegalArgumentException(what + " must be " + rows + "x" + cols + " but is " + t.shape());
        }
    }

    /** Fails unless {@code a} and {@code b} have the same shape. */
    public static void same(Tensor a, Tensor b, String what) {
        if (a.rows() != b.rows() || a.cols() != b.cols()) {
            throw new IllegalArgumentException(what + ": shapes differ, " + a.shape() + " vs " + b.shape());
        }
    }

    /** Fails unless {@code v} holds exactly {@code n} values. */
    public static void length(Tensor v, long n, String what) {
        if (v.size() != n) {
            throw new IllegalArgumentException(what + " must hold " + n + " values but is " + v.shape());
        }
    }

    /** Checks the operands of {@link Backend#gemm} and returns {m, n, k}. */
    public static int[] gemm(Tensor a, boolean transA, Tensor b, boolean transB, Tensor c) {
        int m = transA ? a.cols() : a.rows();
        int k = transA ? a.rows() : a.cols();
        int kb = transB ? b.cols() : b.rows();
        int n = transB ? b.rows() : b.cols();
        if (k != kb || c.rows() != m || c.cols() != n) {
            throw new IllegalArgumentException("gemm: op(a) " + m + "x" + k + " times op(b) " + kb + "x" + n
                    + " into c " + c.shape());
        }
        return new int[] {m, n, k};
    }

    /** Fails unless every index lies in {@code [0, bound)}. */
    public static void indices(int[] idx, int count, int bound, String what) {
        if (idx.length < count) {
            throw new IllegalArgumentException(what + ": " + count + " indices needed, " + idx.length + " given");
        }
        for (int i = 0; i < count; i++) {
            if (idx[i] < 0 || idx[i] >= bound) {
                throw new IndexOutOfBoundsException(what + ": index " + idx[i] + " at position " + i
                        + " is outside [0, " + bound + ")");
            }
        }
    }

    /** Checks the column blocks of {@link Backend#copyColumns}. */
    public static void columns(Tensor src, int srcCol, Tensor dst, int dstCol, int count) {
        if (src.rows() != dst.rows() || count < 0 || srcCol < 0 || dstCol < 0
                || srcCol + count > src.cols() || dstCol + count > dst.cols()) {
            throw new IllegalArgumentException("copyColumns: " + count + " columns from " + srcCol + " of " + src.shape()
                    + " to " + dstCol + " of " + dst.shape());
        }
    }

    /** Checks the segment starts of {@link Backend#segmentedLogSoftmax}: from 0, increasing, inside the row. */
    public static void segments(int[] starts, int cols) {
        if (starts.length == 0 || starts[0] != 0) {
            throw new IllegalArgumentException("segments must start at column 0");
        }
        for (int g = 1; g < starts.length; g++) {
            if (starts[g] <= starts[g - 1] || starts[g] >= cols) {
                throw new IllegalArgumentException("segment starts must increase inside the row: " + starts[g]);
            }
        }
    }

    /** Checks the arguments of {@link Backend#topKRows}. */
    public static void topK(Tensor x, int k, int[] out) {
        if (k < 0 || k > x.cols()) {
            throw new IllegalArgumentException("topKRows: k=" + k + " with " + x.cols() + " columns");
        }
        if (out.length < (long) k * x.rows()) {
            throw new IllegalArgumentException("topKRows: output holds " + out.length + ", needs " + (long) k * x.rows());
        }
    }

    /** Checks the arguments of {@link Backend#targetRanks}. */
    public static void ranks(Tensor x, int[] targets, int[] ranks) {
        indices(targets, x.rows(), x.cols(), "targetRanks");
        if (ranks.length < x.rows()) {
            throw new IllegalArgumentException("targetRanks: output holds " + ranks.length + ", needs " + x.rows());
        }
    }

    /**
     * Handles a GEMM with nothing to multiply (C empty, k = 0 or alpha = 0: C becomes beta C, or 0 when beta = 0, so
     * that NaN in C never leaks) and says whether it did; otherwise the backend runs its own GEMM.
     *
     * @param mnk what {@link #gemm} returned
     */
    public static boolean trivialGemm(Backend backend, int[] mnk, float alpha, float beta, Tensor c) {
        if (c.size() == 0) {
            return true;
        }
        if (mnk[2] == 0 || alpha == 0f) {
            if (beta == 0f) {
                backend.fill(c, 0f);
            } else {
                backend.scale(beta, c);
            }
            return true;
        }
        return false;
    }
}
