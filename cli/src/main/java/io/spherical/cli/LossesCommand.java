package io.spherical.cli;

import io.spherical.api.Hyperparameter;
import io.spherical.api.SphericalLoss;
import io.spherical.models.loss.LossRegistry;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Lists every spherical loss on the classpath (built-ins and plugins) with its parameters. */
@Command(name = "losses", mixinStandardHelpOptions = true,
        description = "List the spherical losses found on the classpath (built-in and plugins) with their parameters.",
        footer = {"", "Example:", "  spherical losses", "  spherical train --loss z-loss --loss-param b=3"})
final class LossesCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        LossRegistry reg = LossRegistry.discover();
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
}
