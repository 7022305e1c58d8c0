package io.spherical.models.output;

import io.spherical.api.Tensor;

/**
 * The part of a factored step (docs/ALGORITHM.md 5) whose best form depends on how the minibatch m compares with the
 * width d: the step control's spectral bound, U^-1's update (step 9) and Q's update with its second-order term
 * {@code eta^2 H^T M H} (steps 7 and 12). {@link BatchProducts} forms them from {@code m x m} matrices
 * ({@code O(m^2 d + m^3)}, the cheaper form when m &lt;= d); {@link WidthProducts} from {@code d x d} ones
 * ({@code O(m d^2 + d^3)}, linear in m). Both give the same update up to float32 rounding. The caller,
 * {@link FactoredUpdate}, does the rest of the step in between.
 */
interface SmallProducts extends AutoCloseable {
    /**
     * The step control ({@link StepControl}): scales the host partials ({@code fq}, {@code fs}, {@code fa} of the
     * step's {@link StepBuffers}) when the step is too large; returns whether it did. Called before the partials are
     * uploaded.
     */
    boolean control(StepBuffers.View w, int m, float eta);

    /**
     * Step 9, and what step 12 needs from the state before it changes: U^-1 follows {@code U <- U (I + H^T C H)}.
     * Called with the partials uploaded, dL/dH ({@code w.ghat}) and {@code w.z} formed and {@code C = -2 eta fq} in
     * {@code w.c}, before U, omega, V and Q change. Returns false when a host solve replaced Newton-Schulz.
     */
    boolean updateInverse(StepBuffers.View w, int[] targets, int m, float eta, Tensor uinv);

    /**
     * Step 12: {@code Q <- Q - eta (Ghat^T H + H^T Ghat) + eta^2 H^T M H}, with the Q before the step in {@code q}.
     * {@code w.x} and {@code w.y} are free.
     */
    void updateGram(StepBuffers.View w, int[] targets, int m, float eta, Tensor q);

    @Override
    void close();
}
