package io.spherical.benchmarks;

import java.util.Arrays;

/** Repeated wall-clock timing with warm-up; reports median, min and max (the machine is shared: medians only). */
final class Timing {
    private Timing() {
    }

    /** Milliseconds of each timed run, sorted. */
    static double[] measure(int warmup, int repeats, Runnable body) {
        for (int i = 0; i < warmup; i++) {
            body.run();
        }
        double[] ms = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            body.run();
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        return ms;
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
