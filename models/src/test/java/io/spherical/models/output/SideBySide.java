package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.SphericalLoss;
import io.spherical.api.Tensor;
import io.spherical.testkit.Dense64;
import java.util.Random;

/** Trains the factored layer and the float64 dense reference from the same start on the same data. */
final class SideBySide {
    private SideBySide() {
    }

    /**
     * Relative errors after training: Frobenius norms for W, W^T W and W^T 1; for dL/dH the worst step of
     * ||g - g_ref|| / || |G| |W| || (the error scale of the product G W, immune to cancellation in a small gradient).
     */
    record Result(double w, double q, double wbar, double grad, double driftMetric, int hostSolves) {
    }

    static Result run(Backend backend, SphericalLoss loss, int classes, int dIn, int m, int steps, float eta,
                      FactoredConfig cfg) {
        Random r = new Random(classes * 17L + dIn * 3L + m);
        float[] w0 = FactoredLayerContract.weights(r, classes, cfg.width(), 0.5);
        DenseReference64 ref = new DenseReference64(w0, classes, dIn, cfg.biasInput(), loss);
        double worstGrad = 0;
        double[] lossOut = new double[1];
        try (FactoredSphericalOutput f = new FactoredSphericalOutput(backend, cfg, loss, w0);
             Tensor ht = backend.zeros(m, dIn); Tensor gt = backend.zeros(m, dIn)) {
            for (int s = 0; s < steps; s++) {
                float[] h = Dense64.randomFloats(r, m * dIn, 1.0);
                int[] t = FactoredLayerContract.targets(r, m, classes);
                backend.upload(h, ht);
                f.step(ht, t, eta, gt);
                Dense64 g = ref.step(h, m, t, eta, lossOut);
                Dense64 diff = Dense64.of(backend.toHost(gt), m, dIn).plus(-1, g);
                double ge = diff.norm() / Math.max(ref.lastGradientScale().norm(), 1e-300);
                worstGrad = Math.max(worstGrad, ge);
            }
            double we = Dense64.of(f.weights(), classes, cfg.width()).relativeError(ref.w);
            double qe = Dense64.of(f.gram(), cfg.width(), cfg.width()).relativeError(ref.gram());
            double be = Dense64.of(f.columnSums(), 1, cfg.width()).relativeError(ref.columnSums());
            return new Result(we, qe, be, worstGrad, f.lastDrift(), f.hostSolves());
        }
    }
}
