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
 * range over seeds, training time, and the time each kind took to reach the log-softmax's best validation top-10
 * error), the time-to-accuracy plot (validation top-10 error against training seconds, logarithmic time) and the
 * test top-k plot.
 */
final class ProtocolReport {
    private ProtocolReport() {
    }

    static void write(Path out, List<Protocol.Outcome> outcomes, PrintWriter w) throws IOException {
        Map<String, List<double[]>> curves = curves(out.resolve("curves.csv"));
        double target = curves.entrySet().stream().filter(e -> e.getKey().startsWith("log-softmax-"))
                .flatMap(e -> e.getValue().stream()).mapToDouble(p -> p[1]).min().orElse(Double.NaN);
        Map<String, List<Protocol.Outcome>> byKind = new LinkedHashMap<>();
        outcomes.forEach(o -> byKind.computeIfAbsent(o.kind(), k -> new ArrayList<>()).add(o));
        List<Double> budgets = outcomes.stream().flatMap(o -> o.budgetTop10().keySet().stream()).distinct().sorted()
                .toList();
        StringBuilder md = new StringBuilder("| kind | selected | runs | test top-1 | test top-10 | test top-100 | MRR | "
                + "perplexity | s to best | train s | s to log-softmax's best valid top-10 | controlled steps | host solves | "
                + "slow intervals |");
        budgets.forEach(b -> md.append(String.format(Locale.ROOT, " test top-10 within %.0f min |", b / 60)));
        md.append("\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|").append("---:|".repeat(budgets.size()))
                .append('\n');
        byKind.forEach((kind, os) -> {
            double[] reach = os.stream().mapToDouble(o -> timeTo(curves.get(o.run()), target)).toArray();
            md.append(String.format(Locale.ROOT, "| %s | %s | %d | %s | %s | %s | %s | %s | %.0f | %.0f | %s |", kind,
                    os.get(0).selected().name(), os.size(), stat(os, m -> m.topKError().get(1)),
                    stat(os, m -> m.topKError().get(10)), stat(os, m -> m.topKError().get(100)), stat(os, Metrics::mrr),
                    Double.isNaN(os.get(0).test().perplexity()) ? "-" : stat(os, Metrics::perplexity),
                    os.stream().mapToDouble(Protocol.Outcome::secondsToBest).average().orElse(Double.NaN),
                    os.stream().mapToDouble(Protocol.Outcome::trainSeconds).average().orElse(Double.NaN),
                    Arrays.stream(reach).allMatch(Double::isNaN)
                            ? "not reached" : String.format(Locale.ROOT, "%.0f (%d of %d runs)",
                            Arrays.stream(reach).filter(x -> !Double.isNaN(x)).average().orElse(Double.NaN),
                            Arrays.stream(reach).filter(x -> !Double.isNaN(x)).count(), reach.length)));
            md.append(String.format(Locale.ROOT, " %s | %s | %d |", counts(os, Protocol.Outcome::controlledSteps),
                    counts(os, Protocol.Outcome::hostSolves), os.stream().mapToInt(Protocol.Outcome::slowIntervals).sum()));
            for (double b : budgets) {
                double[] v = os.stream().filter(o -> o.budgetTop10().containsKey(b))
                        .mapToDouble(o -> o.budgetTop10().get(b)).toArray();
                md.append(v.length == 0 ? " - |" : String.format(Locale.ROOT, " %s |", spread(v)));
            }
            md.append('\n');
        });
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

    /** Training seconds at the first validation at or below {@code target}; NaN when never. */
    static double timeTo(List<double[]> curve, double target) {
        if (curve != null) {
            for (double[] p : curve) {
                if (p[1] <= target) {
                    return p[0];
                }
            }
        }
        return Double.NaN;
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
