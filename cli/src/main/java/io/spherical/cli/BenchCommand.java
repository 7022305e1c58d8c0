package io.spherical.cli;

import io.spherical.api.Backend;
import io.spherical.api.UserException;
import io.spherical.models.lm.MemoryPlan;
import io.spherical.benchmarks.BenchResult;
import io.spherical.benchmarks.LayerBench;
import io.spherical.benchmarks.StepProfile;
import io.spherical.benchmarks.NetworkBench;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Speed of output layers and of whole networks, medians over repeated steps, one row per (layer, vocabulary). */
@Command(name = "bench", mixinStandardHelpOptions = true, subcommands = {BenchCommand.Layer.class, BenchCommand.Network.class, BenchTopK.class,
        BenchDistributed.class},
        description = "Benchmark training steps: 'layer' times an output layer alone, 'network' the whole n-gram network,"
                + " 'distributed' the data-parallel step on N local workers and the bytes each sends.",
        footer = {"", "Examples:",
            "  spherical bench layer --layers factored-z,dense-z,softmax,hsm,sampled,adaptive --vocab 10000,100000,793471"
                + " --dim 513 --batch 200",
            "  spherical bench layer --layers factored-z --vocab 10000 --dim 513 --batch 200,800,1600,3200",
            "  spherical bench network --preset 1bw --layers factored-z,softmax,hsm,none --vocab 793471",
            "  spherical bench distributed --workers 1,2,4 --layers factored-z,softmax --vocab 10000,793471"})
final class BenchCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Options shared by both benchmarks. */
    abstract static class Common implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--layers", split = ",", description = "layers to time")
        List<String> layers = new ArrayList<>(List.of("factored-z", "softmax", "hsm", "sampled", "adaptive"));
        @Option(names = "--vocab", split = ",", description = "vocabulary sizes D")
        List<Integer> vocab = new ArrayList<>(List.of(10_000, 100_000, 793_471));
        @Option(names = "--batch", split = ",", description = "minibatch sizes m, comma-separated: every layer is timed"
                + " at each (default 200)")
        List<Integer> batch = new ArrayList<>(List.of(200));
        @Option(names = "--backend", description = "force a backend by name")
        String backend;
        @Option(names = "--warmup", description = "untimed steps first (default 3)")
        int warmup = 3;
        @Option(names = "--iterations", description = "timed steps (default 10); the median is reported")
        int iterations = 10;
        @Option(names = "--format", description = "markdown (default), csv or json")
        String format = "markdown";
        @Option(names = "--plot", description = "also write a log-log plot of ms per minibatch against D (PNG)")
        Path plot;
        @Option(names = "--verbose", description = "show stack traces of errors")
        boolean verbose;

        abstract BenchResult one(Backend b, String layer, int d, int m);

        /** Checks the sizes before anything is allocated (one line naming the option otherwise). */
        void checkSizes() {
            for (int d : vocab) {
                if (d < 2) {
                    throw new UserException("--vocab sizes must be >= 2, got " + d + ". Fix: for example --vocab 10000.");
                }
            }
        }

        /** The largest of the --batch sizes. */
        int largestBatch() {
            return batch.stream().mapToInt(Integer::intValue).max().orElse(1);
        }

        @Override
        public Integer call() {
            if (batch.isEmpty() || batch.stream().anyMatch(m -> m < 1) || warmup < 0 || iterations < 1) {
                throw new UserException("--batch sizes and --iterations must be >= 1 and --warmup >= 0, got --batch "
                        + batch + ". Fix: for example --batch 200,800.");
            }
            if (!List.of("markdown", "csv", "json").contains(format)) {
                throw new UserException("--format must be markdown, csv or json, got '" + format + "'.");
            }
            checkSizes();
            List<BenchResult> rows = new ArrayList<>();
            try (CommandContext rt = CommandContext.of(backend)) {
                Backend b = rt.backend();
                spec.commandLine().getErr().println("backend: " + b.name() + " (" + b.device() + ")");
                for (int d : vocab) {
                    for (int m : batch) {
                        for (String l : layers) {
                            BenchResult r = one(b, l, d, m);
                            spec.commandLine().getErr().printf("%s D=%d m=%d: %.2f ms%n", l, d, m, r.msMedian());
                            spec.commandLine().getErr().flush();
                            rows.add(r);
                        }
                    }
                }
            }
            spec.commandLine().getOut().print(BenchResult.format(rows, format));
            if (plot != null) {
                plot(rows, plot);
            }
            return 0;
        }
    }

    @Command(name = "layer", mixinStandardHelpOptions = true,
            description = "Time one full training step of an output layer alone (forward, dL/dH, update).",
            footer = {"", "Example:", "  spherical bench layer --layers factored-z,softmax --vocab 10000,100000 --format csv"})
    static final class Layer extends Common {
        @Option(names = "--dim", description = "d, the layer's input width with the bias (default 513)")
        int dim = 513;
        @Option(names = "--profile", description = "also print where each step's time goes: per backend operation and"
                + " shape, and the host code between operations")
        boolean profile;

        @Override
        void checkSizes() {
            super.checkSizes();
            if (dim < 2) {
                throw new UserException("--dim must be >= 2 (the input width plus the bias), got " + dim
                        + ". Fix: for example --dim 513.");
            }
            for (int d : vocab) {
                long elements = (long) d * dim;
                // the layer's D x d weights, one more D x d array for the layers that keep a copy or an update, and
                // the m x D scores of the dense layers (at the largest --batch)
                long bytes = 4L * (2 * elements + (long) largestBatch() * d);
                if (elements > MemoryPlan.MAX_ELEMENTS || bytes > MemoryPlan.availableBytes()) {
                    throw new UserException(String.format(Locale.ROOT, "--vocab %d with --dim %d needs about "
                            + "%s (D x d = %,d elements; at most %,d in one array), %s available. Fix: lower --vocab or "
                            + "--dim.", d, dim, MemoryPlan.human(bytes), elements, MemoryPlan.MAX_ELEMENTS,
                            MemoryPlan.human(MemoryPlan.availableBytes())));
                }
            }
        }

        @Override
        BenchResult one(Backend b, String layer, int d, int m) {
            if (profile) {
                spec.commandLine().getOut().print(StepProfile.format(String.format(Locale.ROOT,
                        "Profile of one %s step, D = %,d, d = %d, m = %d (%s)", layer, d, dim, m, b.name()),
                        StepProfile.of(b, layer, d, dim, m, warmup, iterations)));
            }
            return LayerBench.run(b, layer, d, dim, m, warmup, iterations);
        }
    }

    @Command(name = "network", mixinStandardHelpOptions = true,
            description = "Time one full training step of the n-gram network of a preset; 'none' has no output layer.",
            footer = {"", "Example:", "  spherical bench network --preset 1bw --layers factored-z,none --vocab 793471"})
    static final class Network extends Common {
        @Option(names = "--preset", description = "1bw (default) or brown")
        String preset = "1bw";

        @Override
        BenchResult one(Backend b, String layer, int d, int m) {
            return NetworkBench.run(b, preset, layer, d, m, warmup, iterations);
        }
    }

    static void plot(List<BenchResult> rows, Path png) {
        XYChart chart = new XYChartBuilder().width(800).height(550).title("Training step against vocabulary size")
                .xAxisTitle("vocabulary size D").yAxisTitle("ms per minibatch").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.InsideNW);
        // one series per layer, or per layer and minibatch when several --batch sizes were timed
        boolean several = rows.stream().map(BenchResult::batch).distinct().count() > 1;
        Map<String, List<BenchResult>> byLayer = new LinkedHashMap<>();
        rows.forEach(r -> byLayer.computeIfAbsent(several ? r.layer() + " m=" + r.batch() : r.layer(),
                k -> new ArrayList<>()).add(r));
        byLayer.forEach((l, rs) -> chart.addSeries(l, rs.stream().mapToDouble(BenchResult::vocab).toArray(),
                rs.stream().mapToDouble(BenchResult::msMedian).toArray()));
        try {
            Path parent = png.toAbsolutePath().getParent();
            Files.createDirectories(parent);
            BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
        } catch (IOException e) {
            throw new UserException("Cannot write " + png + ": " + e.getMessage() + ". Fix: choose a writable --plot path.", e);
        }
    }
}
