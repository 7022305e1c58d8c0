package io.spherical.training.protocol;

import io.spherical.api.UserException;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.lm.OutputKind;
import io.spherical.training.Schedule;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The candidates of the protocol: for every output kind, every learning rate and schedule of the grid; the factored
 * Z-loss also over its margin b in {0, sqrt(D/100 - 1), sqrt(D/10 - 1)} (b = sqrt(D/k - 1) asks for the target within
 * the top k, docs/ALGORITHM.md 2.1). Every candidate starts from the Brown model; only the output layer differs.
 */
public final class Grid {
    /** The kinds, in the order they are run: the cheap ones first. */
    public static final List<String> KINDS = List.of("z-loss", "log-taylor-softmax", "log-spherical-softmax",
            "squared-error", "hsm", "sampled-softmax", "adaptive-softmax", "log-softmax");

    private Grid() {
    }

    /** Refuses, in one line naming {@code option}, any name that is not one of {@link #KINDS}. */
    public static void checkKinds(java.util.Collection<String> names, String option) {
        List<String> unknown = names.stream().filter(k -> !KINDS.contains(k)).toList();
        if (!unknown.isEmpty()) {
            throw new UserException("Unknown kind(s) " + unknown + " in " + option + ". Fix: use some of " + KINDS + ".");
        }
    }

    /** The candidates of {@code kinds} for a vocabulary of {@code vocab} words. */
    public static List<Candidate> candidates(ModelConfig base, int vocab, List<String> kinds, List<Double> rates,
                                             List<Schedule> schedules) {
        List<Candidate> out = new ArrayList<>();
        checkKinds(kinds, "--kinds");
        for (String kind : kinds) {
            List<ModelConfig> models = new ArrayList<>();
            List<String> names = new ArrayList<>();
            switch (kind) {
                case "z-loss" -> {
                    for (int k : new int[] {0, 100, 10}) {
                        double b = k == 0 ? 0 : Math.sqrt(Math.max(0, vocab / (double) k - 1));
                        models.add(base.toBuilder().output(OutputKind.FACTORED).loss("z-loss", Map.of("a", 1.0, "b", b))
                                .build());
                        names.add(k == 0 ? "z-loss-b0" : String.format(Locale.ROOT, "z-loss-b%.1f-top%d", b, k));
                    }
                }
                case "log-softmax" -> add(models, names, base.toBuilder().output(OutputKind.SOFTMAX).build(), kind);
                case "hsm" -> add(models, names, base.toBuilder().output(OutputKind.HSM).build(), kind);
                case "sampled-softmax" -> add(models, names, base.toBuilder().output(OutputKind.SAMPLED).build(), kind);
                case "adaptive-softmax" -> add(models, names, base.toBuilder().output(OutputKind.ADAPTIVE).build(), kind);
                default -> add(models, names, base.toBuilder().output(OutputKind.FACTORED).loss(kind, Map.of()).build(),
                        kind);
            }
            for (int i = 0; i < models.size(); i++) {
                for (double lr : rates) {
                    for (Schedule s : schedules) {
                        out.add(new Candidate(kind, names.get(i), models.get(i), lr, s));
                    }
                }
            }
        }
        return out;
    }

    private static void add(List<ModelConfig> models, List<String> names, ModelConfig m, String name) {
        models.add(m);
        names.add(name);
    }
}
