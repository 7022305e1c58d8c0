package io.spherical.cli;

import io.spherical.api.BackendDiscovery;
import io.spherical.api.NoBackendException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Lists every backend provider with priority, availability and reason, and which one would be chosen. */
@Command(name = "backends", mixinStandardHelpOptions = true,
        description = "List the compute backends found on the classpath and which one would be chosen.",
        footer = {"", "Example:", "  spherical backends", "  SPHERICAL_BACKEND=nd4j spherical backends"})
final class BackendsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var out = spec.commandLine().getOut();
        BackendDiscovery d = BackendDiscovery.discover(); // plugin jars included (see Plugins)
        out.printf("%-10s %8s  %-11s %s%n", "NAME", "PRIORITY", "STATUS", "DETAIL");
        for (BackendDiscovery.Candidate c : d.candidates()) {
            out.printf("%-10s %8d  %-11s %s%n", c.provider().name(), c.provider().priority(),
                    c.probe().available() ? "available" : "unavailable", c.probe().detail());
        }
        d.loadFailures().forEach(f -> out.println("failed to load: " + f));
        try {
            BackendDiscovery.Selection s = d.select(null);
            out.println("chosen: " + s.candidate().provider().name() + " (" + s.reason() + ")");
            return 0;
        } catch (NoBackendException e) {
            out.println("chosen: none");
            spec.commandLine().getErr().println("spherical: " + e.getMessage());
            return Main.USER_ERROR;
        }
    }
}
