package io.spherical.models.loss;

import io.spherical.api.Hyperparameter;
import io.spherical.api.SphericalLoss;
import io.spherical.api.UserException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Z-loss (de Brébisson &amp; Vincent 2016): {@code L = softplus(alpha (beta - z)) / alpha} with
 * {@code z = (a - mu) / sigma}, {@code mu = s / D}, {@code sigma^2 = q / D - mu^2} (docs/ALGORITHM.md 2.1).
 *
 * <p>Parameters: {@code a} is the paper's alpha (sharpness, &gt; 0; alpha -&gt; infinity gives the hinge
 * {@code max(0, beta - z)}), {@code b} is the paper's beta (the margin on z; {@code b ~ sqrt(D/k - 1)} asks for a
 * top-k ranking by Cantelli's inequality). {@code top} = k &gt; 0 derives beta from the number of classes D of the
 * layer, {@code beta = sqrt(max(0, D/k - 1))}, so that one setting suits any vocabulary; it is the default (k = 10,
 * the configuration the comparison protocol selected on Brown's validation split, docs/RESULTS.md), and an explicit
 * {@code b} without {@code top} turns it off. z is invariant to {@code o -> lambda o + kappa}, lambda &gt; 0.
 *
 * <p>Degenerate case: when all outputs are (nearly) equal, sigma^2 is floored at {@value #REL_FLOOR} q/D +
 * {@value #ABS_FLOOR}; the partials returned are those of the floored function, so they stay exact and finite.
 */
public final class ZLoss implements SphericalLoss {
    static final double REL_FLOOR = 1e-6;
    static final double ABS_FLOOR = 1e-30;

    /** The default of {@code top}: beta = sqrt(D/10 - 1) asks for the target within the top 10. */
    public static final double DEFAULT_TOP = 10;

    private final double alpha;
    private final double beta;
    private final double top;

    /** The defaults: alpha = 1, beta derived from D for the top {@value #DEFAULT_TOP}. */
    public ZLoss() {
        this(1.0, 0.0, DEFAULT_TOP);
    }

    /** A Z-loss with the paper's alpha ({@code a}) and a fixed beta ({@code b}). */
    public ZLoss(double alpha, double beta) {
        this(alpha, beta, 0);
    }

    /** A Z-loss with alpha, and beta fixed ({@code top} = 0) or derived from D for the top {@code top} (&gt; 0). */
    public ZLoss(double alpha, double beta, double top) {
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new UserException("Z-loss parameter a (alpha) must be a finite number > 0, got " + alpha
                    + ". Fix: pass --a with a positive value (1 is the paper's default).");
        }
        if (!Double.isFinite(beta)) {
            throw new UserException("Z-loss parameter b (beta) must be finite, got " + beta + ". Fix: pass --b with a number.");
        }
        if (!(top >= 0) || Double.isInfinite(top)) {
            throw new UserException("Z-loss parameter top must be a finite number >= 0, got " + top + ". Fix: pass --top "
                    + "with the rank to aim for (10 is the default), or 0 to use --b as it is.");
        }
        this.alpha = alpha;
        this.beta = beta;
        this.top = top;
    }

    @Override
    public String name() {
        return "z-loss";
    }

    @Override
    public String description() {
        return "Z-loss: softplus(a (b - z)) / a on the standardised target score z; shift and scale invariant";
    }

    @Override
    public List<Hyperparameter> parameters() {
        return List.of(new Hyperparameter("a", 1.0, "alpha, sharpness of the softplus, > 0"),
                new Hyperparameter("b", 0.0, "beta, margin on z, used when top is 0 (giving b alone sets top to 0)"),
                new Hyperparameter("top", DEFAULT_TOP, "k > 0 derives beta = sqrt(D/k - 1) from the number of classes D"
                        + " (aims for the target within the top k); 0 uses b"));
    }

    @Override
    public Map<String, Double> values() {
        return Map.of("a", alpha, "b", beta, "top", top);
    }

    /** The values with b the margin actually used at D = {@code classes} (derived from top when top &gt; 0). */
    @Override
    public Map<String, Double> effectiveValues(long classes) {
        return Map.of("a", alpha, "b", beta(classes), "top", top);
    }

    /** The margin beta for a layer of {@code classes} classes. */
    public double beta(long classes) {
        return top > 0 ? Math.sqrt(Math.max(0, classes / top - 1)) : beta;
    }

    @Override
    public SphericalLoss configure(Map<String, Double> values) {
        SphericalLoss.requireKnown(this, values);
        Map<String, Double> v = new HashMap<>(values());
        if (values.containsKey("b") && !values.containsKey("top")) {
            v.put("top", 0.0);      // an explicit margin is meant as it is
        }
        v.putAll(values);
        return new ZLoss(v.get("a"), v.get("b"), v.get("top"));
    }

    @Override
    public double evaluate(double q, double s, double a, long classes, double[] partials) {
        double d = classes;
        double mu = s / d;
        double var = q / d - mu * mu;
        double floor = REL_FLOOR * q / d + ABS_FLOOR;
        boolean floored = !(var > floor);
        double var2 = floored ? floor : var;
        double sigma = Math.sqrt(var2);
        double z = (a - mu) / sigma;
        double x = alpha * (beta(classes) - z);
        double loss = softplus(x) / alpha;
        double g = -sigmoid(x); // dL/dz
        partials[2] = g / sigma;
        if (floored) {
            // sigma^2 = r q / D + e: depends on q only
            partials[1] = g * (-1.0 / (d * sigma));
            partials[0] = g * (-z * REL_FLOOR / (2 * d * var2));
        } else {
            partials[1] = g * (-1.0 + z * mu / sigma) / (d * sigma);
            partials[0] = g * (-z) / (2 * d * var2);
        }
        return loss;
    }

    /** log(1 + e^x) without overflow or loss of precision. */
    static double softplus(double x) {
        return Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));
    }

    /** 1 / (1 + e^-x) without overflow. */
    static double sigmoid(double x) {
        if (x >= 0) {
            return 1.0 / (1.0 + Math.exp(-x));
        }
        double e = Math.exp(x);
        return e / (1.0 + e);
    }

    @Override
    public String toString() {
        return "z-loss(a=" + alpha + (top > 0 ? ", top=" + top : ", b=" + beta) + ")";
    }
}
