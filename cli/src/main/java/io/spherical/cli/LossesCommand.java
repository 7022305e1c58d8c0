package io.spherical.cli;

import io.spherical.api.Hyperparameter;
import io.spherical.api.LossCheck;
import io.spherical.api.SphericalLoss;
import io.spherical.models.loss.LossRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Lists every spherical loss on the classpath (built-ins and plugins) with its parameters; with {@code --check}, runs
 * the derivative check that {@code train} runs before training ({@link LossCheck}) on each and prints its worst error.
 */
@Command(name = "losses", mixinStandardHelpOptions = true,
        description = "List the spherical losses found on the classpath (built-in and plugins) with their parameters.",
        footer = {"", "Example:", "  spherical losses", "  spherical losses --check     # every loss's partials against "
                + "finite differences", "  spherical train --loss z-loss --loss-param b=3"})
final class LossesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--check", description = "Check every loss (default parameters) as train does before training: "
            + "its partials against finite differences and its finiteness on " + LossCheck.QUICK_POINTS + " points "
            + "plus 4 extreme ones; print the worst error and PASS or FAIL per loss. Exit status 2 when one fails.")
    boolean check;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        LossRegistry reg = LossRegistry.discover();
        if (check) {
            return check(reg);
        }
        for (SphericalLoss l : reg.all()) {
            out.printf("%-24s %s%s%n", l.name(), l.description(), l.normalised() ? " [normalised]" : "");
            for (Hyperparameter p : l.parameters()) {
                out.printf("    %-8s default %-8s %s%n", p.name(), p.defaultValue(), p.description());
            }
        }
        out.printf("%-24s %s%n", "log-softmax", "(not spherical: use --output softmax)");
        reg.loadFailures().forEach(f -> out.println("failed to load: " + f));
        return 0;
    }

    /** One line per loss: PASS or FAIL with the worst error (and, for a failure, where); 2 when one fails. */
    private int check(LossRegistry reg) {
        var out = spec.commandLine().getOut();
        List<String> failed = new ArrayList<>();
        out.printf(Locale.ROOT, "%-24s %-6s WORST ERROR (tolerance %.0e)%n", "LOSS", "RESULT", LossCheck.TOLERANCE);
        for (SphericalLoss l : reg.all()) {
            String verdict;
            try {
                LossCheck.Result r = reg.check(l);
                verdict = String.format("%-6s %s", r.passed() ? "PASS" : "FAIL", r.passed() ? r.worst() : r.failure());
            } catch (RuntimeException e) {
                verdict = String.format("%-6s %s", "FAIL", "evaluate threw " + String.valueOf(e).replace('\n', ' '));
            }
            if (verdict.startsWith("FAIL")) {
                failed.add(l.name());
            }
            out.printf("%-24s %s%n", l.name(), verdict);
        }
        reg.loadFailures().forEach(f -> out.println("failed to load: " + f));
        if (failed.isEmpty()) {
            return 0;
        }
        spec.commandLine().getErr().println("spherical: " + failed.size() + " loss(es) fail the derivative check: "
                + String.join(", ", failed) + " (train and eval refuse them). Fix: correct their partials (see "
                + "testkit's LossContract).");
        return Main.USER_ERROR;
    }
}
