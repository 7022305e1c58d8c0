package io.spherical.cli;

import io.spherical.api.Hyperparameter;
import io.spherical.api.SphericalLoss;
import io.spherical.models.loss.LossRegistry;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.ISetter;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The loss options of {@code train}, generated from the hyperparameters every discovered loss declares: one
 * {@code --NAME VALUE} option per hyperparameter name ({@code --a}, {@code --b}, {@code --eps} for the built-in
 * losses, and whatever a plugin declares). They are shorthands for {@code --loss-param NAME=VALUE}, which stays the
 * general form (and the only one for a name that would collide with another option of the command).
 */
final class LossOptions {
    private static final String NAME = "[a-z][a-z0-9-]*";

    private LossOptions() {
    }

    /**
     * Adds the options to {@code spec}; a value given on the command line is put into {@code values} under the
     * hyperparameter's name.
     */
    static void addTo(CommandSpec spec, LossRegistry losses, Map<String, Double> values) {
        Map<String, List<String>> uses = new TreeMap<>();
        for (SphericalLoss loss : losses.all()) {
            for (Hyperparameter p : loss.parameters()) {
                uses.computeIfAbsent(p.name(), k -> new ArrayList<>())
                        .add(loss.name() + ": " + p.description() + " (default: " + number(p.defaultValue()) + ")");
            }
        }
        uses.forEach((name, what) -> {
            String option = "--" + name;
            if (name.matches(NAME) && spec.findOption(option) == null) {
                spec.addOption(OptionSpec.builder(option).type(Double.class).paramLabel("VALUE")
                        .description("loss parameter " + name + " (same as --loss-param " + name + "=VALUE); "
                                + String.join("; ", what).replace("%", "%%"))   // picocli formats descriptions
                        .setter(setter(name, values)).build());
            }
        });
    }

    /** A default as a person writes it: {@code 1} rather than {@code 1.0}, {@code 0.001}, {@code 1.0E-8}. */
    static String number(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    private static ISetter setter(String name, Map<String, Double> values) {
        return new ISetter() {
            @Override
            @SuppressWarnings("unchecked")
            public <T> T set(T value) {
                Double old = value == null ? values.remove(name) : values.put(name, (Double) value);
                return (T) old;
            }
        };
    }

    /** The loss parameters of a command line: {@code --loss-param} pairs, then the generated options over them. */
    static Map<String, Double> merge(List<String> lossParams, Map<String, Double> options) {
        Map<String, Double> all = new LinkedHashMap<>(Options.keyValues(lossParams, "--loss-param"));
        all.putAll(options);
        return all;
    }
}
