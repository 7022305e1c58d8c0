package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.SphericalLoss;
import io.spherical.api.Tensor;
import io.spherical.testkit.Dense64;
import java.util.Random;

/**
 * Trains the factored layer and the float64 dense reference from the same start on the same data, and compares what
 * the steps changed: {@code W_T - W_0}, {@code Q_T - Q_0} and {@code wbar_T - wbar_0}. Comparing changes, not
 * absolute values, is what makes a wrong update visible: a layer that never updated Q keeps an absolute error of
 * {@code ||Q_T - Q_0|| / ||Q_T||} (small when the steps are small) but a change error of 1.
 */
final class SideBySide {
    private SideBySide() {
    }

    /**
     * What a side-by-side run measured.
     *
     * @param w           ||W_T - W_ref|| / ||W_ref|| (absolute state)
     * @param dw          ||dW - dW_ref|| / ||dW_ref||, dW = W_T - W_0
     * @param dq          the same for the kept Q = W^T W
     * @param dwbar       ||dwbar - dwbar_ref|| / max(||dwbar_ref||, ||dW_ref||); for shift-invariant losses such as
     *                    the Z-loss the columns of dW sum to zero, so dwbar_ref is 0 and dW sets the scale
     * @param dwbar       the same for the kept wbar = W^T 1
     * @param grad        worst step of ||g - g_ref|| / || |G| |W| || (the error scale of G W, immune to cancellation)
     * @param gradVsStart worst step of ||g - g_ref|| / (the largest || |G| |W| || of the run so far): rounding of the
     *                    outputs (about eps ||W|| ||h||) does not shrink as G vanishes when a run converges, so a long
     *                    run's dL/dH error is measured against the gradient's scale at its start, not its end
     * @param loss        worst step of |L - L_ref| / |L_ref| for the mean loss that step() returns
     * @param moved       ||dW_ref|| / ||W_0||: how far the steps moved W
     * @param qMoved      ||dQ_ref|| / ||Q_0||
     * @param driftMetric the layer's last drift measurement
     */
    record Result(double w, double dw, double dq, double dwbar, double grad, double gradVsStart, double loss, double moved, double qMoved,
                  double driftMetric, int hostSolves, int repairs, int corrections, int rescales, long controlled) {
        /** The largest of the change errors, the gradient error and the loss error. */
        double worst() {
            return Math.max(Math.max(Math.max(dw, dq), Math.max(dwbar, grad)), loss);
        }
    }

    /** The run of the equivalence suites: W_0 uniform in +-scale, h uniform in +-1. */
    static Result run(Backend backend, SphericalLoss loss, int classes, int dIn, int m, int steps, float eta,
                      double scale, FactoredConfig cfg) {
        Random r = new Random(classes * 17L + dIn * 3L + m);
        float[] w0 = FactoredChecks.weights(r, classes, cfg.width(), scale);
        DenseReference64 ref = new DenseReference64(w0, classes, dIn, cfg.biasInput(), loss)
                .withStepBound(cfg.stepBound());
        Dense64 wStart = ref.w.copy();
        Dense64 qStart = ref.gram();
        Dense64 sStart = ref.columnSums();
        double worstGrad = 0;
        double worstGradVsStart = 0;
        double largestScale = 0;
        double worstLoss = 0;
        double[] lossOut = new double[1];
        try (FactoredSphericalOutput f = new FactoredSphericalOutput(backend, cfg, loss, w0);
             Tensor ht = backend.zeros(m, dIn); Tensor gt = backend.zeros(m, dIn)) {
            Dense64 qKept0 = Dense64.of(f.gram(), cfg.width(), cfg.width());
            Dense64 sKept0 = Dense64.of(f.columnSums(), 1, cfg.width());
            for (int s = 0; s < steps; s++) {
                float[] h = Dense64.randomFloats(r, m * dIn, 1.0);
                int[] t = FactoredChecks.targets(r, m, classes);
                backend.upload(h, ht);
                double l = f.step(ht, t, eta, gt);
                Dense64 g = ref.step(h, m, t, eta, lossOut);
                worstLoss = Math.max(worstLoss, Math.abs(l - lossOut[0]) / Math.max(Math.abs(lossOut[0]), 1e-12));
                Dense64 diff = Dense64.of(backend.toHost(gt), m, dIn).plus(-1, g);
                double gScale = ref.lastGradientScale().norm();
                largestScale = Math.max(largestScale, gScale);
                worstGrad = Math.max(worstGrad, diff.norm() / Math.max(gScale, 1e-300));
                worstGradVsStart = Math.max(worstGradVsStart, diff.norm() / Math.max(largestScale, 1e-300));
            }
            Dense64 wT = Dense64.of(f.weights(), classes, cfg.width());
            Dense64 qT = Dense64.of(f.gram(), cfg.width(), cfg.width());
            Dense64 sT = Dense64.of(f.columnSums(), 1, cfg.width());
            Dense64 dwRef = ref.w.plus(-1, wStart);
            Dense64 dqRef = ref.gram().plus(-1, qStart);
            Dense64 dsRef = ref.columnSums().plus(-1, sStart);
            return new Result(wT.relativeError(ref.w), wT.plus(-1, wStart).relativeError(dwRef),
                    qT.plus(-1, qKept0).relativeError(dqRef),
                    sT.plus(-1, sKept0).plus(-1, dsRef).norm() / Math.max(dsRef.norm(), dwRef.norm()), worstGrad, worstGradVsStart,
                    worstLoss,
                    dwRef.norm() / wStart.norm(), dqRef.norm() / qStart.norm(), f.lastDrift(), f.hostSolves(),
                    f.repairs(), f.corrections(), f.rescales(), f.controlledSteps());
        }
    }
}
