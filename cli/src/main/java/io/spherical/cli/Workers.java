package io.spherical.cli;

import io.spherical.api.Collectives;
import io.spherical.api.UserException;
import io.spherical.models.lm.MemoryPlan;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.parallel.WorkerMemory;
import io.spherical.training.TrainingConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code train --workers N}: starts N local worker processes of the same command (ranks 0 .. N-1, rank 0 listening on
 * a port the OS gives, the cores divided among them), shows rank 0's output and writes the others' to
 * {@code worker-R.log} in the run directory.
 * When a worker fails the others are stopped; the exit status is the first failure's (0 when all succeed).
 */
final class Workers {
    /**
     * The most local workers one launcher starts: Gloo connects every worker to every other, and more processes than
     * this on one machine is a typing error rather than a plan.
     */
    static final int MAX_LOCAL = 1024;
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
                + "counted)", "start fewer (--workers), lower --batch (the factored layer keeps (N m)^2 matrices on "
                + "every worker) or the model's sizes, or train on several machines with --rank, --world-size and "
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

    static int launch(List<String> args, int n, Path runDir, PrintWriter out) {
        requireCount(n);
        Collectives.prepare();      // native code unpacked once, before the workers start together
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
            Files.createDirectories(runDir);
        } catch (IOException e) {
            throw new UserException("Cannot prepare the local workers (" + e.getMessage() + "). Fix: check --out.", e);
        }
        ignoreInterrupts();         // Ctrl-C reaches every worker from the terminal: they checkpoint and stop together
        List<Process> ps = new ArrayList<>();
        Thread reaper = new Thread(() -> ps.forEach(Process::destroy));
        Runtime.getRuntime().addShutdownHook(reaper);
        try {
            for (int r = 0; r < n; r++) {
                List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                        .toString(), "-cp", System.getProperty("java.class.path"), Main.class.getName()));
                cmd.addAll(args);
                cmd.addAll(List.of("--rank", "" + r, "--world-size", "" + n, "--master", "127.0.0.1:" + port));
                ProcessBuilder pb = new ProcessBuilder(cmd);
                threads(pb, n);
                if (r == 0) {
                    pb.inheritIO();
                } else {
                    pb.redirectErrorStream(true).redirectOutput(runDir.resolve("worker-" + r + ".log").toFile());
                }
                ps.add(pb.start());
            }
            out.println("Started " + n + " workers (rank 0 below; the others log to " + runDir + "/worker-R.log).");
            out.flush();
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
        } catch (IOException e) {
            ps.forEach(Process::destroyForcibly);
            throw new UserException("Cannot start a worker (" + e.getMessage() + ").", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ps.forEach(Process::destroy);
            return Main.INTERRUPTED;
        } finally {
            Runtime.getRuntime().removeShutdownHook(reaper);
        }
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
