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
                case "sampled-softmax" -> {
                    for (int k : samples(vocab)) {
                        add(models, names, base.toBuilder().output(OutputKind.SAMPLED).samples(k).build(), kind + "-K" + k);
                    }
                }
                case "adaptive-softmax" -> {
                    for (List<Integer> c : cutoffs(vocab)) {
                        add(models, names, base.toBuilder().output(OutputKind.ADAPTIVE).cutoffs(c).build(), kind + "-c"
                                + c.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining("-")));
                    }
                }
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

    /**
     * The sampled softmax's negatives tried: D/128, D/32 (the layer's default rule) and D/8, each within 64..8192 and
     * at most D, without repeats.
     */
    static List<Integer> samples(int vocab) {
        return java.util.stream.IntStream.of(vocab / 128, vocab / 32, vocab / 8)
                .map(k -> Math.min(vocab, Math.max(64, Math.min(8192, k)))).distinct().boxed().toList();
    }

    /**
     * The adaptive softmax's cutoffs tried: the layer's default for D, and the same halved and doubled (each list kept
     * only when every cutoff is below D and increasing), without repeats.
     */
    static List<List<Integer>> cutoffs(int vocab) {
        int[] d = io.spherical.models.output.AdaptiveSoftmaxOutput.defaultCutoffs(vocab);
        List<List<Integer>> out = new ArrayList<>();
        for (double f : new double[] {1, 0.5, 2}) {
            List<Integer> c = java.util.Arrays.stream(d).map(x -> (int) Math.round(x * f)).boxed().toList();
            boolean ok = c.get(0) >= 1 && c.get(c.size() - 1) < vocab;
            for (int i = 1; i < c.size(); i++) {
                ok &= c.get(i) > c.get(i - 1);
            }
            if (ok && !out.contains(c)) {
                out.add(c);
            }
        }
        return out;
    }

    private static void add(List<ModelConfig> models, List<String> names, ModelConfig m, String name) {
        models.add(m);
        names.add(name);
    }
}
