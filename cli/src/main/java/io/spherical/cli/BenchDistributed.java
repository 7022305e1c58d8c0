package io.spherical.cli;

import io.spherical.api.Collective;
import io.spherical.api.Collectives;
import io.spherical.api.UserException;
import io.spherical.benchmarks.DistributedBench;
import io.spherical.benchmarks.DistributedBench.Row;
import io.spherical.models.lm.MemoryPlan;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.parallel.WorkerMemory;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code bench distributed}: the data-parallel step on 1, 2, 4 ... local workers (real processes on Gloo over
 * loopback), its time, the bytes each worker sends per step as the collectives compute them from their algorithms'
 * formulas, and the output layer's parameter rows all-reduced per step (the set S of the sampled, hierarchical and
 * adaptive layers' row exchange; every row for log-softmax and the dense layer), for every (layer, D).
 * Each (N, layer, D) runs in its own group of N fresh processes (N = 1 in this process), with the machine's cores
 * divided among them; a group whose estimated memory does not fit is skipped with one line saying so.
 */
@Command(name = "distributed", mixinStandardHelpOptions = true,
        description = "Time the data-parallel training step on N local workers and count the bytes each sends.",
        footer = {"", "Example:", "  spherical bench distributed --workers 1,2,4 --layers factored-z,softmax --vocab 10000,793471",
            "  spherical bench distributed --workers 1,2 --layers factored-z,softmax,sampled,hsm,adaptive"
                + " --vocab 10000,793471"})
final class BenchDistributed implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Option(names = "--workers", split = ",", description = "numbers of workers N (default 1,2,4)")
    List<Integer> workers = new ArrayList<>(List.of(1, 2, 4));
    @Option(names = "--layers", split = ",", description = "output layers (default factored-z,softmax)")
    List<String> layers = new ArrayList<>(List.of("factored-z", "softmax"));
    @Option(names = "--vocab", split = ",", description = "vocabulary sizes D (default 10000,793471)")
    List<Integer> vocab = new ArrayList<>(List.of(10_000, 793_471));
    @Option(names = "--batch", description = "examples per worker m (default 200)")
    int batch = 200;
    @Option(names = "--preset", description = "the network: 1bw (default) or brown")
    String preset = "1bw";
    @Option(names = "--warmup", description = "untimed steps first (default 2)")
    int warmup = 2;
    @Option(names = "--iterations", description = "timed steps (default 5); the median is reported")
    int iterations = 5;
    @Option(names = "--format", description = "markdown (default) or csv")
    String format = "markdown";
    @Option(names = "--backend", description = "force a backend by name")
    String backend;
    @Option(names = "--rank", hidden = true)
    Integer rank;
    @Option(names = "--world-size", hidden = true)
    Integer worldSize;
    @Option(names = "--master", hidden = true)
    String master;
    @Option(names = "--results", hidden = true)
    Path results;

    @Override
    public Integer call() throws IOException {
        if (batch < 1 || warmup < 0 || iterations < 1 || workers.stream().anyMatch(n -> n < 1)) {
            throw new UserException("--batch, --iterations and every --workers must be >= 1 and --warmup >= 0.");
        }
        if (!List.of("markdown", "csv").contains(format)) {
            throw new UserException("--format must be markdown or csv, got '" + format + "'.");
        }
        layers.forEach(this::check);
        return worldSize != null ? worker() : launch();
    }

    /** Refuses an unknown layer before anything starts. */
    private void check(String layer) {
        if (layer.equals("none")) {
            throw new UserException("bench distributed times whole steps; 'none' has no output layer to exchange.");
        }
        config(layer);
    }

    private ModelConfig config(String layer) {
        return io.spherical.benchmarks.NetworkBench.config(preset, layer);
    }

    /** One worker of a group: every (layer, D) asked, rank 0 appending the rows to {@code --results}. */
    private int worker() throws IOException {
        try (Collective g = Collectives.join(rank, worldSize, GroupOptions.address(master, null, null,
                Duration.ofSeconds(120)));
             CommandContext rt = CommandContext.of(backend)) {
            for (String l : layers) {
                for (int d : vocab) {
                    Row r = DistributedBench.run(rt.backend(), g, preset, l, d, batch, warmup, iterations);
                    if (g.rank() == 0) {
                        Files.writeString(results, r.csv() + "\n", java.nio.file.StandardOpenOption.CREATE,
                                java.nio.file.StandardOpenOption.APPEND);
                    }
                }
            }
        }
        return 0;
    }

    /** Every (N, layer, D): one process for N = 1, N launched workers otherwise; then the table. */
    private int launch() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        List<Row> rows = new ArrayList<>();
        Path dir = Files.createTempDirectory("spherical-bench-distributed");
        try (CommandContext rt = CommandContext.of(backend)) {
            for (String l : layers) {
                for (int d : vocab) {
                    for (int n : workers) {
                        long need = MemoryPlan.times(workerBytes(l, d, n), n);
                        long free = MemoryPlan.availableBytes();
                        if (need > free) {
                            err.printf(Locale.ROOT, "%s D=%d on %d workers: skipped, it needs about %s and %s is "
                                    + "available%n", l, d, n, MemoryPlan.human(need), MemoryPlan.human(free));
                            continue;
                        }
                        Row r = n == 1 ? DistributedBench.run(rt.backend(), Collective.single(), preset, l, d, batch,
                                warmup, iterations) : launched(l, d, n, dir, err);
                        err.printf(Locale.ROOT, "%s D=%d on %d workers: %.1f ms, %,.0f bytes per worker per step, %,.1f "
                                + "output rows exchanged per step%n", l, d, n, r.msMedian(), r.bytesPerStep(),
                                r.outputRowsPerStep());
                        err.flush();
                        rows.add(r);
                    }
                }
            }
        }
        spec.commandLine().getOut().print(format(rows, format));
        try (java.util.stream.Stream<Path> files = Files.walk(dir)) {     // every group succeeded: no logs to keep
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        return 0;
    }

    private Row launched(String layer, int d, int n, Path dir, PrintWriter err) throws IOException {
        Path out = dir.resolve(layer + "-" + d + "-" + n + ".csv");
        List<String> args = new ArrayList<>(List.of("bench", "distributed", "--layers", layer, "--vocab", "" + d,
                "--batch", "" + batch, "--preset", preset, "--warmup", "" + warmup, "--iterations", "" + iterations,
                "--results", out.toString()));
        if (backend != null) {
            args.addAll(List.of("--backend", backend));
        }
        int status = Workers.launch(args, n, dir, err);
        if (status != 0 || !Files.exists(out)) {
            throw new UserException("The " + n + " workers of " + layer + " at D = " + d + " failed (exit " + status
                    + "); their logs are in " + dir + ".");
        }
        return Row.parse(Files.readAllLines(out).get(0));
    }

    /**
     * The estimated bytes of one worker ({@link WorkerMemory}: model, what the output layer's exchange copies aside,
     * JVM).
     */
    private long workerBytes(String layer, int d, int n) {
        return WorkerMemory.perWorker(config(layer), d, batch, n, "sgd");
    }

    static String format(List<Row> rows, String format) {
        if (format.equals("csv")) {
            return Row.CSV_HEADER + "\n" + rows.stream().map(Row::csv).collect(Collectors.joining("\n")) + "\n";
        }
        return "| layer | D | workers | m per worker | ms median | ms min | examples/s | bytes sent per worker per step"
                + " (computed from the collectives' formulas) | of which the output layer | output rows exchanged per"
                + " step (S) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
                + rows.stream().map(r -> String.format(Locale.ROOT, "| %s | %,d | %d | %d | %.1f | %.1f | %,.0f | %,.0f |"
                        + " %,.0f | %s |", r.layer(), r.vocab(), r.workers(), r.batch(), r.msMedian(), r.msMin(),
                        r.examplesPerS(), r.bytesPerStep(), r.outputBytesPerStep(), r.outputRowsPerStep() == 0 ? "-"
                        : String.format(Locale.ROOT, "%,.1f", r.outputRowsPerStep())))
                .collect(Collectors.joining("\n")) + "\n";
    }
}
