package io.spherical.cli;

import io.spherical.training.Metrics;
import io.spherical.training.RunDirectory;
import io.spherical.training.protocol.Protocol;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.Styler;

/**
 * What the protocol found, from its files: a summary table per kind (selected candidate, test metrics as mean and
 * range over seeds, training time, training examples per second, and the time each kind took to reach the best
 * baseline's final validation top-10 error, {@link BaselineTarget}), below it the goal check of each spherical kind,
 * the time-to-accuracy plot (validation top-10 error against training seconds, logarithmic time) and the test top-k
 * plot.
 */
final class ProtocolReport {
    private ProtocolReport() {
    }

    /** Writes summary.md and the plots under {@code out} (which holds curves.csv) and prints the summary to {@code w}. */
    static void write(Path out, List<Protocol.Outcome> outcomes, PrintWriter w) throws IOException {
        Map<String, List<double[]>> curves = curves(out.resolve("curves.csv"));
        Map<String, List<Protocol.Outcome>> byKind = new LinkedHashMap<>();
        outcomes.forEach(o -> byKind.computeIfAbsent(o.kind(), k -> new ArrayList<>()).add(o));
        BaselineTarget target = BaselineTarget.of(byKind, curves);
        List<Double> budgets = outcomes.stream().flatMap(o -> o.budgetTop10().keySet().stream()).distinct().sorted()
                .toList();
        StringBuilder md = new StringBuilder("| kind | selected | runs | test top-1 | test top-10 | test top-100 | MRR | "
                + "perplexity | s to best | train s | ex/s | " + target.header() + " | controlled steps | host solves | "
                + "slow intervals |");
        budgets.forEach(b -> md.append(String.format(Locale.ROOT, " test top-10 within %.0f min |", b / 60)));
        md.append("\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|")
                .append("---:|".repeat(budgets.size())).append('\n');
        byKind.forEach((kind, os) -> {
            md.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s | %.0f | %.0f | %.0f | %s |",
                    kind, os.get(0).selected().name(), os.size(), stat(os, m -> m.topKError().get(1)),
                    stat(os, m -> m.topKError().get(10)), stat(os, m -> m.topKError().get(100)), stat(os, Metrics::mrr),
                    Double.isNaN(os.get(0).test().perplexity()) ? "-" : stat(os, Metrics::perplexity),
                    os.stream().mapToDouble(Protocol.Outcome::secondsToBest).average().orElse(Double.NaN),
                    os.stream().mapToDouble(Protocol.Outcome::trainSeconds).average().orElse(Double.NaN),
                    os.stream().mapToDouble(Protocol.Outcome::examplesPerSecond).average().orElse(Double.NaN),
                    target.cell(os, curves)));
            md.append(String.format(Locale.ROOT, " %s | %s | %d |", counts(os, Protocol.Outcome::controlledSteps),
                    counts(os, Protocol.Outcome::hostSolves), os.stream().mapToInt(Protocol.Outcome::slowIntervals).sum()));
            for (double b : budgets) {
                double[] v = os.stream().filter(o -> o.budgetTop10().containsKey(b))
                        .mapToDouble(o -> o.budgetTop10().get(b)).toArray();
                md.append(v.length == 0 ? " - |" : String.format(Locale.ROOT, " %s |", spread(v)));
            }
            md.append('\n');
        });
        List<String> goals = target.goals(byKind, curves);
        if (!goals.isEmpty()) {
            md.append('\n');
            goals.forEach(g -> md.append("- ").append(g).append('\n'));
        }
        md.append("\n| kind | runs |");
        Arrays.stream(Metrics.KS).forEach(k -> md.append(" test top-").append(k).append(" |"));
        md.append(" MRR | perplexity |\n|---|---:|").append("---:|".repeat(Metrics.KS.length + 2)).append('\n');
        byKind.forEach((kind, os) -> {
            md.append("| ").append(kind).append(" | ").append(os.size()).append(" |");
            Arrays.stream(Metrics.KS).forEach(k -> md.append(' ').append(stat(os, m -> m.topKError().get(k))).append(" |"));
            md.append(' ').append(stat(os, Metrics::mrr)).append(" | ").append(Double.isNaN(os.get(0).test().perplexity())
                    ? "-" : stat(os, Metrics::perplexity)).append(" |\n");
        });
        RunDirectory.writeAtomically(out.resolve("summary.md"), md.toString().getBytes(StandardCharsets.UTF_8));
        timeToAccuracy(curves, out.resolve("time-to-accuracy.png"));
        topK(byKind, out.resolve("topk.png"));
        w.print(md);
        w.println("Wrote tuning.csv, selection.csv, curves.csv, final.csv, summary.md, time-to-accuracy.png and topk.png"
                + " in " + out);
    }

    /** Per final run, its points (training seconds, validation top-10 error). */
    static Map<String, List<double[]>> curves(Path csv) throws IOException {
        Map<String, List<double[]>> runs = new LinkedHashMap<>();
        List<String> lines = Files.readAllLines(csv);
        for (String line : lines.subList(1, lines.size())) {
            String[] c = line.split(",", -1);
            runs.computeIfAbsent(c[1], k -> new ArrayList<>()).add(
                    new double[] {Double.parseDouble(c[4]), Double.parseDouble(c[6])});
        }
        return runs;
    }

    /** Per-run counts, joined with "/" when there are several runs ("0/12"). */
    private static String counts(List<Protocol.Outcome> os, java.util.function.ToLongFunction<Protocol.Outcome> f) {
        return String.join("/", os.stream().map(o -> Long.toString(f.applyAsLong(o))).toList());
    }

    private static String stat(List<Protocol.Outcome> os, java.util.function.ToDoubleFunction<Metrics> f) {
        return spread(os.stream().mapToDouble(o -> f.applyAsDouble(o.test())).toArray());
    }

    /** The mean, and the range when there are several values. */
    private static String spread(double[] v) {
        double mean = Arrays.stream(v).average().orElse(Double.NaN);
        if (v.length == 1) {
            return String.format(Locale.ROOT, "%.4f", mean);
        }
        return String.format(Locale.ROOT, "%.4f (%.4f-%.4f)", mean, Arrays.stream(v).min().orElseThrow(),
                Arrays.stream(v).max().orElseThrow());
    }

    private static void timeToAccuracy(Map<String, List<double[]>> curves, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(600).title("Validation top-10 error against training time")
                .xAxisTitle("training seconds (log)").yAxisTitle("validation top-10 error").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        curves.forEach((run, pts) -> {
            if (run.endsWith("-seed1") && !pts.isEmpty()) {
                chart.addSeries(run.substring(0, run.length() - 6), pts.stream().mapToDouble(p -> Math.max(p[0], 1e-3))
                        .toArray(), pts.stream().mapToDouble(p -> p[1]).toArray());
            }
        });
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static void topK(Map<String, List<Protocol.Outcome>> byKind, Path png) throws IOException {
        XYChart chart = new XYChartBuilder().width(900).height(600).title("Test top-k error (mean over seeds)")
                .xAxisTitle("k").yAxisTitle("top-k error").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setLegendPosition(Styler.LegendPosition.OutsideE);
        double[] ks = Arrays.stream(Metrics.KS).asDoubleStream().toArray();
        byKind.forEach((kind, os) -> chart.addSeries(kind, ks, Arrays.stream(Metrics.KS).mapToDouble(k -> os.stream()
                .mapToDouble(o -> o.test().topKError().get(k)).average().orElse(Double.NaN)).toArray()));
        BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
