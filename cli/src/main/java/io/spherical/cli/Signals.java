package io.spherical.cli;

import java.util.concurrent.atomic.AtomicBoolean;

/** Ctrl-C handling: the first interrupt asks training to stop after the current minibatch; a second one exits now. */
final class Signals {
    private Signals() {
    }

    @SuppressWarnings("restriction")
    static void onInterrupt(AtomicBoolean stop) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> {
                if (stop.getAndSet(true)) {
                    System.err.println("\nspherical: second interrupt, exiting without a checkpoint");
                    Runtime.getRuntime().halt(130);
                }
                System.err.println("\nspherical: interrupt received, finishing the minibatch and writing a checkpoint ...");
            });
        } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
            // no signal support here: Ctrl-C then ends the process without a checkpoint
        }
    }
}
