package io.spherical.benchmarks;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;
import io.spherical.models.output.FactoredSphericalOutput;
import java.util.Arrays;

/**
 * Makes the factored layer's maintenance do its full work when timed. Right after construction U is the identity and
 * stabilisation finds nothing to do; timing it then would leave its passes over V out of the cost. Before each timed
 * call this stretches one direction of U by 8 (and shrinks the matching column of U^-1, so U U^-1 = I still holds):
 * the next {@code stabilise()} then finds singular values {8, 1, ...}, rescales (a pass over V) and applies two
 * rank-one corrections (two more), the most it ever does in one call.
 */
final class ForcedMaintenance {
    private ForcedMaintenance() {
    }

    /** Pushes U's singular values out of [0.5, 2]; W changes, which a benchmark does not mind. */
    static void distort(Backend b, FactoredSphericalOutput f) {
        Tensor u = f.state().get("U");
        Tensor uinv = f.state().get("Uinv");
        b.scale(8f, u.rowRange(0, 1));
        float[] col = new float[uinv.cols()];
        Arrays.fill(col, 1f);
        col[0] = 1f / 8;
        try (Tensor v = b.fromHost(col, 1, uinv.cols())) {
            b.scaleColumns(uinv, v, uinv);
        }
    }

    /**
     * The layer's maintenance per training step at its periods (stabilisation every 100 steps, forced to do its most;
     * drift check every 1,000; unfactorisation every 10,000), printed on stderr with each part.
     */
    static double amortisedMs(Backend b, FactoredSphericalOutput f, long[] peak, String label) {
        int before = f.rescales() + f.corrections();
        double stab = StepTimer.median(StepTimer.timeEach(b, 3, () -> distort(b, f), f::stabilise, peak));
        if (f.rescales() + f.corrections() < before + 3) {
            throw new IllegalStateException("the forced stabilisation did not rescale and correct");
        }
        double drift = StepTimer.median(StepTimer.time(b, 0, 3, f::measureDrift, peak));
        double unf = StepTimer.median(StepTimer.time(b, 0, 1, f::unfactorise, peak));
        double amortised = stab / 100 + drift / 1000 + unf / 10_000;
        System.err.printf(java.util.Locale.ROOT, "%s maintenance: stabilise %.1f ms (a rescale and two corrections,"
                + " every 100 steps), drift check %.1f ms (every 1,000), unfactorise %.1f ms (every 10,000): %.2f ms"
                + " per step amortised%n", label, stab, drift, unf, amortised);
        return amortised;
    }
}
