package io.spherical.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spherical.api.UserException;
import io.spherical.training.data.Corpora;
import io.spherical.training.data.Corpus;
import io.spherical.training.data.Split;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.lm.OutputKind;
import io.spherical.training.Metrics;
import io.spherical.models.output.DivergenceException;
import io.spherical.training.RunDirectory;
import io.spherical.training.Trainer;
import io.spherical.training.TrainingConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The comparison grid of the Z-loss paper on one corpus, one model and one budget: the Z-loss over (a, b) with b near
 * sqrt(D/k - 1) for k in {1, 10, 100}, the other spherical losses, log-softmax, hierarchical softmax, sampled
 * softmax and adaptive softmax (K and the cutoffs chosen from the vocabulary size as in {@code train}). Every
 * configuration is its own run directory: finished ones are skipped, interrupted ones resumed, so the grid restarts
 * without redoing work. Writes {@code results.csv} and {@code topk.png} (test top-k error against k).
 */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = "Run the loss comparison grid (resumable) and write results.csv and topk.png.",
        footer = {"", "Example:", "  spherical experiment --out runs/grid --epochs 1 --max-train 400000"})
final class ExperimentCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Option(names = "--corpus", description = "corpus (default brown)")
    String corpus = "brown";
    @Option(names = "--out", description = "grid directory (default runs/grid)")
    Path out = Path.of("runs", "grid");
    @Option(names = "--epochs", description = "epochs per configuration (default 1)")
    int epochs = 1;
    @Option(names = "--max-train", description = "training examples per epoch (0: all)")
    long maxTrain;
    @Option(names = "--max-eval", description = "validation/test examples (0: all)")
    long maxEval;
    @Option(names = "--only", split = ",", description = "run only these configuration names")
    List<String> only;
    @Option(names = "--backend", description = "force a backend by name")
    String backend;
    @Option(names = "--verbose", description = "show stack traces of errors")
    boolean verbose;

    /** One configuration of the grid. */
    record Config(String name, OutputKind output, String loss, Map<String, Double> params, double lr) {
    }

    static List<Config> grid(int vocab) {
        List<Config> g = new ArrayList<>();
        for (double a : new double[] {1, 5}) {
            g.add(new Config(String.format(Locale.ROOT, "z-a%s-b0", fmt(a)), OutputKind.FACTORED, "z-loss",
                    Map.of("a", a, "b", 0.0), 0.5));
            for (int k : new int[] {100, 10, 1}) {
                double b = Math.sqrt((double) vocab / k - 1);
                g.add(new Config(String.format(Locale.ROOT, "z-a%s-b%.1f-k%d", fmt(a), b, k), OutputKind.FACTORED, "z-loss",
                        Map.of("a", a, "b", b), 0.5));
            }
        }
        g.add(new Config("squared-error", OutputKind.FACTORED, "squared-error", Map.of(), 0.5));
        g.add(new Config("log-taylor-softmax", OutputKind.FACTORED, "log-taylor-softmax", Map.of(), 0.5));
        g.add(new Config("log-spherical-softmax", OutputKind.FACTORED, "log-spherical-softmax", Map.of(), 0.5));
        g.add(new Config("log-softmax", OutputKind.SOFTMAX, "z-loss", Map.of(), 0.5));
        g.add(new Config("hsm", OutputKind.HSM, "z-loss", Map.of(), 0.5));
        g.add(new Config("sampled-softmax", OutputKind.SAMPLED, "z-loss", Map.of(), 0.5));
        g.add(new Config("adaptive-softmax", OutputKind.ADAPTIVE, "z-loss", Map.of(), 0.5));
        return g;
    }

    private static String fmt(double a) {
        return a == Math.rint(a) ? Long.toString((long) a) : Double.toString(a);
    }

    @Override
    public Integer call() throws IOException {
        Progress progress = new Progress(spec.commandLine().getErr());
        Corpus c = Corpora.open(corpus, Corpora.defaultCache(), progress::status);
        TrainingConfig tc = TrainingConfig.builder().epochs(epochs).patience(0).limits(maxTrain, maxEval).build();
        int vocab = Trainer.buildVocabulary(c, tc.minCount()).size();
        List<Config> grid = grid(vocab);
        if (only != null) {
            grid.removeIf(g -> !only.contains(g.name()));
            if (grid.isEmpty()) {
                throw new UserException("--only names no configuration of the grid.");
            }
        }
        ObjectMapper json = new ObjectMapper();
        Map<String, Metrics> results = new LinkedHashMap<>();
        Map<String, Double> minutes = new LinkedHashMap<>();
        Map<String, String> diverged = new LinkedHashMap<>();
        AtomicBoolean stop = new AtomicBoolean();
        Signals.onInterrupt(stop);
        try (CommandContext rt = CommandContext.of(backend)) {
            Trainer trainer = rt.trainer();
            int i = 0;
            for (Config g : grid) {
                i++;
                Path dir = out.resolve(g.name());
                Path test = dir.resolve("test.json");
                spec.commandLine().getErr().printf("[%d/%d] %s%n", i, grid.size(), g.name());
                if (!Files.exists(test)) {
                    ModelConfig mc = ModelConfig.builder().output(g.output()).loss(g.loss(), g.params()).build();
                    boolean resume = Files.exists(dir.resolve(Trainer.CHECKPOINT));
                    long t0 = System.nanoTime();
                    ObjectNode node;
                    try {
                        Trainer.Result r = trainer.train(c, mc, tc.toBuilder().learningRate(g.lr()).build(), dir, resume,
                                saved -> epochs > 0 ? saved.toBuilder().epochs(epochs).build() : saved, progress,
                                stop);
                        if (r.interrupted()) {
                            spec.commandLine().getOut().println("Interrupted; run the same command again to continue.");
                            return Main.INTERRUPTED;
                        }
                        node = json.valueToTree(trainer.evaluate(dir, c, Split.TEST, maxEval, progress));
                    } catch (DivergenceException e) {
                        // a configuration that diverges is a result too: recorded, and the grid goes on
                        progress.status(g.name() + ": " + e.getMessage());
                        node = json.createObjectNode();
                        node.put("diverged", e.getMessage());
                        node.put("divergedAtEpoch", e.epoch());
                        node.put("divergedAtStep", e.step());
                    }
                    node.put("trainMinutes", (System.nanoTime() - t0) / 6e10);
                    RunDirectory.writeAtomically(test, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(node));
                }
                ObjectNode node = (ObjectNode) json.readTree(test.toFile());
                minutes.put(g.name(), node.path("trainMinutes").asDouble());
                if (node.has("diverged")) {
                    diverged.put(g.name(), node.get("diverged").asText());
                    continue;
                }
                node.remove("trainMinutes");
                results.put(g.name(), json.treeToValue(node, Metrics.class));
            }
        }
        progress.close();
        StringBuilder csv = new StringBuilder("config,loss,top1,top5,top10,top20,top50,top100,mrr,perplexity,minutes\n");
        results.forEach((name, m) -> {
            Map<Integer, Double> e = m.topKError();
            csv.append(String.format(Locale.ROOT, "%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%s,%.1f%n", name, m.loss(),
                    e.get(1), e.get(5), e.get(10), e.get(20), e.get(50), e.get(100), m.mrr(),
                    Double.isNaN(m.perplexity()) ? "" : String.format(Locale.ROOT, "%.1f", m.perplexity()), minutes.get(name)));
        });
        diverged.forEach((name, why) -> csv.append(String.format(Locale.ROOT, "%s,diverged,,,,,,,,,%.1f%n", name,
                minutes.get(name))));
        RunDirectory.writeAtomically(out.resolve("results.csv"), csv.toString().getBytes(StandardCharsets.UTF_8));
        plot(results, out.resolve("topk.png"));
        spec.commandLine().getOut().print(csv);
        spec.commandLine().getOut().println("Wrote " + out.resolve("results.csv") + " and " + out.resolve("topk.png"));
        return 0;
    }

    private static void plot(Map<String, Metrics> results, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(600).title("Test top-k error").xAxisTitle("k")
                .yAxisTitle("top-k error").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        double[] ks = java.util.Arrays.stream(Metrics.KS).asDoubleStream().toArray();
        results.forEach((name, m) -> chart.addSeries(name, ks,
                java.util.Arrays.stream(Metrics.KS).mapToDouble(k -> m.topKError().get(k)).toArray()));
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
