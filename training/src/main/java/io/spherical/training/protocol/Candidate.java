package io.spherical.training.protocol;

import io.spherical.models.lm.ModelConfig;
import io.spherical.training.Schedule;
import java.util.Locale;

/**
 * One configuration the protocol may select: an output kind (the unit of comparison, e.g. {@code z-loss} or
 * {@code log-softmax}), the name of its model within the kind ({@code base}, e.g. {@code z-loss-b36.3-top10}), the
 * model, and how it is trained.
 */
public record Candidate(String kind, String base, ModelConfig model, double learningRate, Schedule schedule) {

    /** The name, unique in the grid: base, learning rate and schedule ({@code z-loss-b0-lr0.5-plateau}). */
    public String name() {
        return String.format(Locale.ROOT, "%s-lr%s-%s", base, learningRate, schedule.label());
    }

    /** The same candidate at another learning rate. */
    public Candidate withRate(double rate) {
        return new Candidate(kind, base, model, rate, schedule);
    }
}
