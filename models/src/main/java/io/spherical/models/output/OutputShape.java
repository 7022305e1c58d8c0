package io.spherical.models.output;

/**
 * The sizes of an output layer: the width of H it takes (without any bias column it adds itself), D the number of
 * classes, and the largest minibatch its buffers hold.
 */
public record OutputShape(int inputDim, int classes, int maxBatch) {
}
