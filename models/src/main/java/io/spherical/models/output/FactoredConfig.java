package io.spherical.models.output;

import io.spherical.api.UserException;

/**
 * Immutable settings of {@link FactoredSphericalOutput} beyond its loss.
 *
 * @param classes          D, the number of classes
 * @param inputDim         width of H without the bias column
 * @param maxBatch         the largest minibatch
 * @param biasInput        the constant appended to every h (the authors used 0.001 to keep its row of Q small;
 *                         0 disables the bias)
 * @param stabilisePeriod  every this many steps, pull U's extreme singular values back into [0.5, 2] and refresh
 *                         U^-1 exactly (docs/ALGORITHM.md 6); 0 disables
 * @param unfactorPeriod   every this many steps, fold U and omega into V and recompute Q and wbar exactly
 *                         (O(D d^2)); 0 disables
 * @param driftCheckPeriod every this many steps, measure the drift of Q and wbar against W on a random direction
 *                         (O(D d)); 0 disables
 * @param seed             seed of the random initialisation and of the drift directions
 * @param stepBound        bound on {@code ||2 eta H^T diag(|fq|) H||} above which a step is scaled down (see
 *                         docs/ALGORITHM.md 5, step control); positive infinity disables the control
 */
public record FactoredConfig(int classes, int inputDim, int maxBatch, float biasInput, int stabilisePeriod,
                             int unfactorPeriod, int driftCheckPeriod, long seed, double stepBound) {
    /** U's singular values then change by a factor in [0.5, 1.5] at most per step. */
    public static final double DEFAULT_STEP_BOUND = 0.5;
    /**
     * The largest minibatch no wider than the layer (m &lt;= d): the m x m form of the step keeps single arrays of m^2
     * elements. A wider minibatch takes the d x d form, which has none.
     */
    public static final int MAX_BATCH = 46_340;

    /** Validates the settings. */
    public FactoredConfig {
        if (classes < 2) {
            throw new UserException("The output layer needs at least 2 classes, got " + classes + ".");
        }
        if (inputDim < 1 || maxBatch < 1) {
            throw new UserException("Input width and batch size must be >= 1, got " + inputDim + " and " + maxBatch + ".");
        }
        if (maxBatch > MAX_BATCH && maxBatch <= (biasInput == 0f ? inputDim : inputDim + 1)) {
            throw new UserException("The factored layer holds minibatches of at most " + MAX_BATCH + " examples when they"
                    + " are no wider than the layer (its m x m matrices), got " + maxBatch + ". Fix: lower --batch.");
        }
        if (!(stepBound > 0)) {
            throw new UserException("The step bound must be > 0 (infinity disables the control), got " + stepBound + ".");
        }
        if (stabilisePeriod < 0 || unfactorPeriod < 0 || driftCheckPeriod < 0) {
            throw new UserException("Stabilisation periods must be >= 0 (0 disables).");
        }
    }

    /** Defaults: bias input 1, stabilise every 100 steps, unfactorise every 10,000, drift check every 1,000. */
    public static FactoredConfig of(int classes, int inputDim, int maxBatch) {
        return new FactoredConfig(classes, inputDim, maxBatch, 1f, 100, 10_000, 1_000, 1L, DEFAULT_STEP_BOUND);
    }

    /** A copy with other stabilisation periods. */
    public FactoredConfig withPeriods(int stabilise, int unfactor, int driftCheck) {
        return new FactoredConfig(classes, inputDim, maxBatch, biasInput, stabilise, unfactor, driftCheck, seed,
                stepBound);
    }

    /** A copy with another step bound (positive infinity disables the step control). */
    public FactoredConfig withStepBound(double bound) {
        return new FactoredConfig(classes, inputDim, maxBatch, biasInput, stabilisePeriod, unfactorPeriod,
                driftCheckPeriod, seed, bound);
    }

    /** d: the width of H with the bias column. */
    public int width() {
        return biasInput == 0f ? inputDim : inputDim + 1;
    }
}
