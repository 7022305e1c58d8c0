package io.spherical.models.bench;

import io.spherical.api.Backend;
import java.util.Arrays;

/** Times a step repeatedly after warm-up, sampling the backend's memory for the peak. */
final class StepTimer {
    private StepTimer() {
    }

    /** Sorted milliseconds of {@code iterations} timed runs, and the peak bytes seen in {@code peak[0]}. */
    static double[] time(Backend b, int warmup, int iterations, Runnable step, long[] peak) {
        for (int i = 0; i < warmup; i++) {
            step.run();
            sample(b, peak);
        }
        double[] ms = new double[iterations];
        for (int i = 0; i < iterations; i++) {
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
