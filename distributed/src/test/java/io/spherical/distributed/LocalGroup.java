package io.spherical.distributed;

import io.spherical.api.GroupAddress;
import io.spherical.api.GroupToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts the worker processes of a test group on loopback the way the launcher does: rank 0 first with port 0 and a
 * port file ({@link GroupAddress#PORT_FILE_ENV}), the others once rank 0 has written its port, every one with the
 * same token in {@link GroupToken#ENV}; each logs to {@code rankR.log} in the test's folder. The worker mains build
 * their address with {@link #address}.
 */
final class LocalGroup {
    /** The token of the test groups. */
    static final String TOKEN = "the token of the test group";

    private LocalGroup() {
    }

    /** What runs once rank 0 listens at {@code port} and before the other ranks start. */
    interface BeforeOthers {
        void run(int port) throws Exception;
    }

    /** The arguments after the main class of rank r, given rank 0's port (0 for rank 0). */
    interface Arguments {
        List<String> of(int rank, int port);
    }

    /**
     * The address a worker main joins: 127.0.0.1:{@code port}, the token and port file of its environment (set by
     * {@link #start}).
     */
    static GroupAddress address(int port, Duration timeout) {
        String portFile = System.getenv(GroupAddress.PORT_FILE_ENV);
        return new GroupAddress("127.0.0.1", port, null, GroupToken.fromEnvironment(), timeout,
                portFile == null ? null : Path.of(portFile));
    }

    /**
     * Starts {@code size} workers of {@code main} into {@code started} (filled as they start, so that the caller reaps
     * them also when this throws); {@code before} runs with rank 0's port before ranks 1 .. size - 1 start.
     */
    static void start(int size, Path dir, Class<?> main, Arguments args, BeforeOthers before, List<Process> started)
            throws Exception {
        Path portFile = dir.resolve("rendezvous.port");
        started.add(process(0, dir, main, args.of(0, 0), portFile));
        int port = awaitPort(started.get(0), portFile, dir.resolve("rank0.log"));
        before.run(port);
        for (int r = 1; r < size; r++) {
            started.add(process(r, dir, main, args.of(r, port), null));
        }
    }

    private static Process process(int rank, Path dir, Class<?> main, List<String> args, Path portFile)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), main.getName()));
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dir.resolve("rank" + rank + ".log").toFile());
        pb.environment().put(GroupToken.ENV, TOKEN);
        if (portFile != null) {
            pb.environment().put(GroupAddress.PORT_FILE_ENV, portFile.toString());
        } else {
            pb.environment().remove(GroupAddress.PORT_FILE_ENV);
        }
        return pb.start();
    }

    /** The port rank 0 wrote; fails with rank 0's log when it ends first or takes more than two minutes. */
    static int awaitPort(Process rank0, Path portFile, Path log) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!Files.exists(portFile)) {
            if (!rank0.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("rank 0 did not write its port: " + (Files.exists(log)
                        ? Files.readString(log) : "(no log)"));
            }
            rank0.waitFor(20, TimeUnit.MILLISECONDS);
        }
        return Integer.parseInt(Files.readString(portFile).strip());
    }
}
