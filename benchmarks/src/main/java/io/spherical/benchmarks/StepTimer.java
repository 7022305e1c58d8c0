package io.spherical.benchmarks;

import io.spherical.api.Backend;
import java.util.Arrays;

/** Times a step repeatedly after warm-up, sampling the backend's memory for the peak. */
final class StepTimer {
    private StepTimer() {
    }

    /** Seconds a row may take: slow steps get fewer timed iterations (never fewer than 3). */
    static final double ROW_BUDGET_SECONDS = 30;

    /** Sorted milliseconds of up to {@code iterations} timed runs, and the peak bytes seen in {@code peak[0]}. */
    static double[] time(Backend b, int warmup, int iterations, Runnable step, long[] peak) {
        double last = 0;
        for (int i = 0; i < warmup; i++) {
            long t0 = System.nanoTime();
            step.run();
            b.synchronize();
            last = (System.nanoTime() - t0) / 1e9;
            sample(b, peak);
        }
        if (last > 0) {
            iterations = (int) Math.max(Math.min(iterations, 3), Math.min(iterations, ROW_BUDGET_SECONDS / last));
        }
        return timeEach(b, iterations, () -> { }, step, peak);
    }

    /** Sorted milliseconds of {@code n} runs of {@code step}, each after an untimed {@code setup}. */
    static double[] timeEach(Backend b, int n, Runnable setup, Runnable step, long[] peak) {
        double[] ms = new double[n];
        for (int i = 0; i < n; i++) {
            setup.run();
            b.synchronize();
            long t0 = System.nanoTime();
            step.run();
            b.synchronize();
            ms[i] = (System.nanoTime() - t0) / 1e6;
            sample(b, peak);
        }
        Arrays.sort(ms);
        return ms;
    }

    static void sample(Backend b, long[] peak) {
        peak[0] = Math.max(peak[0], b.allocatedBytes());
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
