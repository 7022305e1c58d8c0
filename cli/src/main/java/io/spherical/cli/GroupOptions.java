package io.spherical.cli;

import io.spherical.api.Collective;
import io.spherical.api.Collectives;
import io.spherical.api.GroupAddress;
import io.spherical.api.GroupToken;
import io.spherical.api.UserException;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * How a training process finds its data-parallel group, as torchrun does: its rank, the number of workers and where
 * rank 0 listens, from options or from the environment variables RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT (so
 * that Slurm, Kubernetes or ssh can start workers on many machines); or {@code --workers N} to start N local workers.
 * A group of several workers also needs the group token that admits them ({@code --group-token-file} or
 * SPHERICAL_GROUP_TOKEN), and rank 0 may be told the address to listen on ({@code --bind}).
 */
final class GroupOptions {
    @Option(names = "--workers", description = "start this many local worker processes (data-parallel training on "
            + "this machine; --batch is per worker) (default: none, this process trains alone unless --world-size or "
            + "$WORLD_SIZE says otherwise)")
    Integer workers;
    @Option(names = "--rank", description = "this worker's rank, 0 .. N-1 (default: $RANK or 0)")
    Integer rank;
    @Option(names = "--world-size", description = "the number of workers N (default: $WORLD_SIZE or 1)")
    Integer worldSize;
    @Option(names = "--master", description = "HOST:PORT where rank 0 listens (default: $MASTER_ADDR:$MASTER_PORT)")
    String master;
    @Option(names = "--group-timeout", description = "seconds to wait for the other workers (default: ${DEFAULT-VALUE})")
    int timeout = 300;
    @Option(names = "--group-token-file", paramLabel = "FILE", description = "the group's shared secret: only workers "
            + "holding the same token join rank 0 (default: $SPHERICAL_GROUP_TOKEN; make one with head -c 32 "
            + "/dev/urandom | base64 > token; --workers makes its own)")
    Path tokenFile;
    @Option(names = "--bind", paramLabel = "ADDR", description = "rank 0 only: the address it listens on for the "
            + "others (default: --master's host; 0.0.0.0 = every interface)")
    String bind;

    int rank() {
        return rank != null ? rank : intEnv("RANK", 0);
    }

    int worldSize() {
        return worldSize != null ? worldSize : intEnv("WORLD_SIZE", 1);
    }

    /** The group this process belongs to: the one-process group unless N > 1. */
    Collective join() {
        int n = worldSize();
        if (n == 1) {
            return Collectives.join(rank(), 1, GroupAddress.single());
        }
        String where = master != null ? master : System.getenv("MASTER_ADDR") != null
                ? System.getenv("MASTER_ADDR") + ":" + System.getenv().getOrDefault("MASTER_PORT", "29500") : null;
        if (where == null || where.lastIndexOf(':') < 1) {
            throw new UserException("Training on " + n + " workers needs the address of rank 0. Fix: pass --master "
                    + "HOST:PORT (or set MASTER_ADDR and MASTER_PORT).");
        }
        return Collectives.join(rank(), n, address(where, bind, tokenFile, Duration.ofSeconds(timeout)));
    }

    /**
     * The group address of {@code where} ({@code HOST:PORT}, port 0 .. 65535; {@link Collectives#join} allows 0 only
     * to rank 0 with a port file), with the token of {@code tokenFile} or of the environment ({@link GroupToken}) and
     * the port file the local launcher names in {@value GroupAddress#PORT_FILE_ENV}.
     */
    static GroupAddress address(String where, String bind, Path tokenFile, Duration timeout) {
        int colon = where.lastIndexOf(':');
        int port;
        try {
            if (colon < 1) {
                throw new NumberFormatException();
            }
            port = Integer.parseInt(where.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new UserException("--master must be HOST:PORT, got '" + where + "'. Fix: for example --master "
                    + "127.0.0.1:29500.");
        }
        if (port < 0 || port > 65535) {     // a cast to a 16-bit port would silently listen elsewhere
            throw new UserException("The port of --master (or MASTER_PORT) must be between 1 and 65535, got " + port
                    + ". Fix: for example --master " + where.substring(0, colon) + ":29500.");
        }
        String portFile = System.getenv(GroupAddress.PORT_FILE_ENV);
        return new GroupAddress(where.substring(0, colon), port, bind, GroupToken.resolve(tokenFile), timeout,
                portFile == null || portFile.isBlank() ? null : Path.of(portFile));
    }

    private static int intEnv(String name, int dflt) {
        String v = System.getenv(name);
        if (v == null || v.isBlank()) {
            return dflt;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new UserException("The environment variable " + name + " must be an integer, got '" + v + "'.");
        }
    }
}
