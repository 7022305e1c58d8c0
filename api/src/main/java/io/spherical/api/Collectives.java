package io.spherical.api;

import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;

/** Finds a collective library on the classpath and joins a group with it; one process needs none. */
public final class Collectives {
    private Collectives() {
    }

    /** The providers on the classpath, in the order the service files list them. */
    public static List<CollectiveProvider> providers() {
        return ServiceLoader.load(CollectiveProvider.class).stream().map(ServiceLoader.Provider::get).toList();
    }

    /** Prepares the first provider found (see {@link CollectiveProvider#prepare()}); nothing when there is none. */
    public static void prepare() {
        providers().stream().findFirst().ifPresent(CollectiveProvider::prepare);
    }

    /**
     * The group: {@link Collective#single()} when {@code size} is 1, else rank {@code rank} of a group joined through
     * the first provider found.
     */
    public static Collective join(int rank, int size, String host, int port, Duration timeout) {
        if (size < 1 || rank < 0 || rank >= size) {
            throw new UserException("Rank " + rank + " of " + size + " workers is impossible. Fix: give --world-size N >= 1"
                    + " and --rank R with 0 <= R < N.");
        }
        if (size == 1) {
            return Collective.single();
        }
        List<CollectiveProvider> found = providers();
        if (found.isEmpty()) {
            throw new UserException("Training on " + size + " workers needs a collective library, and none is on the "
                    + "classpath. Fix: add the spherical-distributed module (Gloo) to the classpath.");
        }
        return found.get(0).join(rank, size, host, port, timeout);
    }
}
