package io.spherical.cli;

import io.spherical.api.Collectives;
import io.spherical.api.GroupAddress;
import io.spherical.api.GroupToken;
import io.spherical.api.UserException;
import io.spherical.models.lm.MemoryPlan;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.parallel.WorkerMemory;
import io.spherical.training.TrainingConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code train --workers N}: starts N local worker processes of the same command (ranks 0 .. N-1, rank 0 listening on
 * loopback at a port the OS gives, every worker holding a fresh random group token, the cores divided among them),
 * shows rank 0's output and writes the others' to {@code worker-R.log} in the run directory.
 * When a worker fails the others are stopped; the exit status is the first failure's (0 when all succeed).
 */
final class Workers {
    /**
     * The most local workers one launcher starts: Gloo connects every worker to every other, and more processes than
     * this on one machine is a typing error rather than a plan.
     */
    static final int MAX_LOCAL = 1024;
    /** The file in the run directory where rank 0 writes the port it listens on. */
    static final String PORT_FILE = "rendezvous.port";
    /**
     * How long rank 0 may take to listen for the others: it loads the backend and opens the corpus first (which may
     * prepare or download it the first time), so this is longer than a process start.
     */
    static final Duration RANK0_LISTENS_WITHIN = Duration.ofSeconds(300);
    /** The smallest vocabulary ({@code </s>} and {@code <unk>}): the launcher's estimate before a corpus is read. */
    private static final int RESERVED_WORDS = 2;

    private Workers() {
    }

    /**
     * Refuses, in one line and before any worker starts, {@code n} local workers outside 1 .. {@link #MAX_LOCAL}, or
     * whose estimated memory ({@link WorkerMemory}: the model at its data-parallel batch, the JVM) does not fit in
     * what this machine has available. The vocabulary is not counted (the workers count it when they read the
     * corpus), so the estimate is the least the group needs.
     */
    static void requireRoom(int n, ModelConfig mc, TrainingConfig tc) {
        requireCount(n);
        long each = WorkerMemory.perWorker(mc, RESERVED_WORDS, tc.batch(), n, tc.optimizer());
        WorkerMemory.check(n, each, MemoryPlan.availableBytes(), n + " local workers (before the vocabulary is "
                + "counted)", "start fewer (--workers), lower --batch (every worker takes the factored layer's step "
                + "on all N x batch examples) or the model's sizes, or train on several machines with --rank, --world-size and "
                + "--master");
    }

    /** Refuses a number of local workers outside 1 .. {@link #MAX_LOCAL} in one line. */
    static void requireCount(int n) {
        if (n < 1 || n > MAX_LOCAL) {
            throw new UserException("--workers must be between 1 and " + MAX_LOCAL + " (local processes on this "
                    + "machine), got " + n + ". Fix: give a number in that range; for more workers, train on "
                    + "several machines with --rank, --world-size and --master.");
        }
    }

    /**
     * Starts the n workers and waits for them; the exit status is the first failure's. Rank 0 starts first with
     * {@code --master 127.0.0.1:0}: its admission gate listens on loopback at a port the system picks and writes it
     * to {@code rendezvous.port} in the run directory ({@value GroupAddress#PORT_FILE_ENV}); the others then start
     * with that port, so no other process can take the port in between. Every worker gets a fresh random group token
     * through the environment ({@value GroupToken#ENV}), never on the command line, which other users can read.
     */
    static int launch(List<String> args, int n, Path runDir, PrintWriter out) {
        requireCount(n);
        Collectives.prepare();      // native code unpacked once, before the workers start together
        Path portFile = runDir.resolve(PORT_FILE);
        try {
            Files.createDirectories(runDir);
            Files.deleteIfExists(portFile);     // an earlier run's port
        } catch (IOException e) {
            throw new UserException("Cannot prepare the local workers (" + e.getMessage() + "). Fix: check --out.", e);
        }
        String token = GroupToken.fresh();
        ignoreInterrupts();         // Ctrl-C reaches every worker from the terminal: they checkpoint and stop together
        List<Process> ps = new ArrayList<>();
        Thread reaper = new Thread(() -> ps.forEach(Process::destroy));
        Runtime.getRuntime().addShutdownHook(reaper);
        try {
            ps.add(start(args, 0, n, 0, runDir, token, portFile));
            if (n > 1) {
                int port = awaitPort(ps.get(0), portFile);
                if (port < 0 && ps.get(0).exitValue() != 0) {
                    return ps.get(0).exitValue();      // rank 0 stopped before listening, and said why
                } else if (port < 0) {
                    throw new UserException("Rank 0 of the local workers ended before it listened for the others. "
                            + "Fix: see its output above; start the workers again.");
                }
                for (int r = 1; r < n; r++) {
                    ps.add(start(args, r, n, port, runDir, token, null));
                }
            }
            out.println("Started " + n + " workers (rank 0 below; the others log to " + runDir + "/worker-R.log).");
            out.flush();
            return await(ps);
        } catch (IOException e) {
            ps.forEach(Process::destroyForcibly);
            throw new UserException("Cannot start a worker (" + e.getMessage() + ").", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ps.forEach(Process::destroy);
            return Main.INTERRUPTED;
        } catch (RuntimeException e) {
            ps.forEach(Process::destroy);
            throw e;
        } finally {
            Runtime.getRuntime().removeShutdownHook(reaper);
            try {
                Files.deleteIfExists(portFile);
            } catch (IOException e) {
                // a stale port file is deleted by the next launch
            }
        }
    }

    /** Starts rank r of n, with rank 0's port (0 for rank 0 itself, which then writes its port to portFile). */
    private static Process start(List<String> args, int r, int n, int port, Path runDir, String token, Path portFile)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        cmd.addAll(args);
        cmd.addAll(List.of("--rank", "" + r, "--world-size", "" + n, "--master", "127.0.0.1:" + port));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        threads(pb, n);
        pb.environment().put(GroupToken.ENV, token);
        if (portFile != null) {
            pb.environment().put(GroupAddress.PORT_FILE_ENV, portFile.toAbsolutePath().toString());
        } else {
            pb.environment().remove(GroupAddress.PORT_FILE_ENV);
        }
        if (r == 0) {
            pb.inheritIO();
        } else {
            pb.redirectErrorStream(true).redirectOutput(runDir.resolve("worker-" + r + ".log").toFile());
        }
        return pb.start();
    }

    /**
     * The port rank 0 wrote to {@code portFile}, once it is there; -1 when rank 0 ended before (it has printed why).
     * Rank 0 alive without a port after {@link #RANK0_LISTENS_WITHIN} is one line.
     */
    static int awaitPort(Process rank0, Path portFile) throws InterruptedException {
        long deadline = System.nanoTime() + RANK0_LISTENS_WITHIN.toNanos();
        while (true) {
            if (Files.exists(portFile)) {
                try {
                    return Integer.parseInt(Files.readString(portFile).strip());
                } catch (IOException | NumberFormatException e) {
                    throw new UserException("Cannot read the port rank 0 wrote to " + portFile + " (" + e.getMessage()
                            + "). Fix: start the workers again; nothing else may write to that file.", e);
                }
            }
            if (!rank0.isAlive()) {
                return -1;
            }
            if (System.nanoTime() - deadline >= 0) {
                throw new UserException("Rank 0 of the local workers did not listen for the others within "
                        + RANK0_LISTENS_WITHIN.toSeconds() + " s (no port in " + portFile + "). Fix: see rank 0's "
                        + "output above; start the workers again.");
            }
            rank0.waitFor(50, TimeUnit.MILLISECONDS);
        }
    }

    /** Waits for every worker; when one fails the others are stopped. The first failure's exit status, or 0. */
    private static int await(List<Process> ps) throws InterruptedException {
        int status = 0;
        boolean running = true;
        while (running) {
            running = false;
            for (Process p : ps) {
                if (p.isAlive()) {
                    running = true;
                } else if (p.exitValue() != 0 && status == 0) {
                    status = p.exitValue();
                    if (status != Main.INTERRUPTED) {
                        ps.forEach(Process::destroy);     // SIGTERM: the others stop (rank 0 checkpoints)
                    }
                }
            }
            if (running) {
                ps.get(0).waitFor(200, TimeUnit.MILLISECONDS);
            }
        }
        return status;
    }

    /**
     * The machine's cores shared among the n workers (OMP_NUM_THREADS, which the native BLAS and ND4J's loops read),
     * unless the environment already says: n workers each using every core slow each other down.
     */
    static void threads(ProcessBuilder pb, int n) {
        if (System.getenv("OMP_NUM_THREADS") == null) {
            pb.environment().put("OMP_NUM_THREADS", "" + Math.max(1, Runtime.getRuntime().availableProcessors() / n));
        }
    }

    @SuppressWarnings("restriction")
    private static void ignoreInterrupts() {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("INT"), sig -> { });
        } catch (IllegalArgumentException | UnsupportedOperationException | LinkageError e) {
            // no signal support: Ctrl-C ends this launcher, whose shutdown hook stops the workers
        }
    }
}
