package io.spherical.api;

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
     * the first provider found, at {@code at}. A group of several processes needs a group token
     * ({@link GroupAddress#hasToken()}) and a port in 1 .. 65535 (port 0, a port the operating system picks, only for
     * rank 0 when it has a port file to tell it to its launcher); each problem is one line.
     */
    public static Collective join(int rank, int size, GroupAddress at) {
        if (size < 1 || rank < 0 || rank >= size) {
            throw new UserException("Rank " + rank + " of " + size + " workers is impossible. Fix: give --world-size N >= 1"
                    + " and --rank R with 0 <= R < N.");
        }
        if (size == 1) {
            return Collective.single();
        }
        requirePort(rank, size, at);
        if (!at.hasToken()) {
            throw new UserException("Training on " + size + " workers needs a group token, so that only your workers "
                    + "can join rank 0, and worker " + rank + " has none. Fix: " + GroupToken.HOW + ".");
        }
        List<CollectiveProvider> found = providers();
        if (found.isEmpty()) {
            throw new UserException("Training on " + size + " workers needs a collective library, and none is on the "
                    + "classpath. Fix: add the spherical-distributed module (Gloo) to the classpath.");
        }
        return found.get(0).join(rank, size, at);
    }

    /** Refuses a port outside 0 .. 65535, and port 0 but for rank 0 with a port file. */
    private static void requirePort(int rank, int size, GroupAddress at) {
        int port = at.port();
        if (port < 0 || port > 65535 || (port == 0 && rank == 0 && at.portFile() == null)) {
            throw new UserException("The port of --master (or MASTER_PORT) must be between 1 and 65535, got " + port
                    + (port == 0 ? " (port 0, a port the system picks, is only for rank 0 of train --workers N, which "
                    + "tells the others the port it got)" : "") + ". Fix: for example --master " + at.host()
                    + ":29500.");
        }
        if (port == 0 && rank != 0) {
            throw new UserException("Worker " + rank + " of " + size + " was given port 0 for rank 0's address "
                    + at.host() + ":0, and only rank 0 may let the system pick its port. Fix: give every other worker "
                    + "rank 0's real port, for example --master " + at.host() + ":29500.");
        }
    }
}
