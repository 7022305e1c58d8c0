package io.spherical.backend.nd4j;

import io.spherical.api.Reduction;
import java.util.function.IntConsumer;
import java.util.stream.IntStream;

/** The Java loops of the ND4J backend's non-BLAS operations: rows in parallel when large, and reductions. */
final class HostLoops {
    /** Rows x cols above which row-parallel loops pay for their fork/join. */
    static final long PARALLEL_THRESHOLD = 1 << 16;

    private HostLoops() {
    }

    /** Runs {@code body} for every row, in parallel when the matrix is large enough to pay for it. */
    static void rows(int rows, int cols, IntConsumer body) {
        if ((long) rows * cols >= PARALLEL_THRESHOLD && rows > 1) {
            IntStream.range(0, rows).parallel().forEach(body);
        } else {
            for (int i = 0; i < rows; i++) {
                body.accept(i);
            }
        }
    }

    /** One step of a reduction in double; MAX propagates NaN. */
    static double accumulate(Reduction r, double acc, float v) {
        return switch (r) {
            case SUM -> acc + v;
            case SUM_SQUARES -> acc + (double) v * v;
            case MAX -> (v > acc || v != v || acc != acc) ? (acc != acc ? acc : v) : acc;
        };
    }
}
