package io.spherical.training.protocol;

import io.spherical.models.lm.ModelConfig;
import io.spherical.training.Schedule;

/**
 * One configuration the protocol may select: an output kind (the unit of comparison, e.g. {@code z-loss} or
 * {@code log-softmax}), a name unique in the grid, the model, and how it is trained.
 */
public record Candidate(String kind, String name, ModelConfig model, double learningRate, Schedule schedule) {
}
