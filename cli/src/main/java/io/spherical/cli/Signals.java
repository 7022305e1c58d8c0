package io.spherical.cli;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Ctrl-C and SIGTERM (what Slurm, Kubernetes and systemd send before killing a job) handling: the first signal asks
 * training to stop after the current minibatch and write a checkpoint; a second one exits now.
 */
final class Signals {
    private Signals() {
    }

    @SuppressWarnings("restriction")
    static void onInterrupt(AtomicBoolean stop) {
        for (String name : new String[] {"INT", "TERM"}) {
            try {
                sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> {
                    if (stop.getAndSet(true)) {
                        System.err.println("\nspherical: second interrupt, exiting without a checkpoint");
                        Runtime.getRuntime().halt(Main.INTERRUPTED);
                    }
                    System.err.println("\nspherical: SIG" + name + " received, finishing the minibatch and writing a "
                            + "checkpoint ...");
                });
            } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
                // no support for this signal here: it then ends the process without a checkpoint
            }
        }
    }
}
