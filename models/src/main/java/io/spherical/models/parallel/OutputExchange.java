package io.spherical.models.parallel;

import io.spherical.api.Tensor;

/**
 * How the workers of a data-parallel group train an output layer that they do not replicate from gathered rows: each
 * steps on its own m examples with the rate divided by N and the parameters' moves are summed, densely
 * ({@link OutputAllReduce}) or over the rows the step may change ({@link RowExchange}).
 */
interface OutputExchange extends AutoCloseable {

    /**
     * The layer's step on this worker's {@code h} (m rows) as part of a global minibatch of N m; dL/dH of these rows
     * (for the global mean) into {@code gradOut}. Returns the global minibatch's mean loss.
     */
    double step(Tensor h, int[] targets, float eta, Tensor gradOut);

    /** Parameter rows all-reduced so far, summed over the layer's tensors (the size of S, step after step). */
    long rowsExchanged();

    @Override
    void close();
}
