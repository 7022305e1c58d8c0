package io.spherical.benchmarks;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * One benchmark row: a (layer, vocabulary) pair timed over repeated training steps.
 *
 * @param layer        what was timed
 * @param vocab        D
 * @param dim          d (the output layer's input width, bias included)
 * @param batch        m
 * @param msMedian     median milliseconds per minibatch (amortised maintenance included)
 * @param msMin        fastest
 * @param msMax        slowest
 * @param examplesPerS m / median
 * @param gflops       modelled floating-point operations / median
 * @param peakMb       peak device memory held during the run, MiB (NaN when the backend cannot tell)
 */
public record BenchResult(String layer, int vocab, int dim, int batch, double msMedian, double msMin, double msMax,
                          double examplesPerS, double gflops, double peakMb) {

    /** The CSV header, in the published column order. */
    public static final String CSV_HEADER = "layer,vocab,dim,batch,ms_median,ms_min,ms_max,examples_per_s,gflops,peak_mb";

    /** One CSV line. */
    public String csv() {
        return String.format(Locale.ROOT, "%s,%d,%d,%d,%.3f,%.3f,%.3f,%.1f,%.2f,%.1f", layer, vocab, dim, batch, msMedian,
                msMin, msMax, examplesPerS, gflops, peakMb);
    }

    /** Renders rows as markdown, csv or json. */
    public static String format(List<BenchResult> rows, String format) {
        return switch (format.toLowerCase(Locale.ROOT)) {
            case "csv" -> CSV_HEADER + "\n" + rows.stream().map(BenchResult::csv).collect(Collectors.joining("\n")) + "\n";
            case "json" -> "[" + rows.stream().map(r -> String.format(Locale.ROOT,
                    "{\"layer\":\"%s\",\"vocab\":%d,\"dim\":%d,\"batch\":%d,\"ms_median\":%.3f,\"ms_min\":%.3f,"
                            + "\"ms_max\":%.3f,\"examples_per_s\":%.1f,\"gflops\":%.2f,\"peak_mb\":%s}", r.layer, r.vocab,
                    r.dim, r.batch, r.msMedian, r.msMin, r.msMax, r.examplesPerS, r.gflops,
                    Double.isNaN(r.peakMb) ? "null" : String.format(Locale.ROOT, "%.1f", r.peakMb)))
                    .collect(Collectors.joining(",\n ")) + "]\n";
            default -> "| layer | vocab | dim | batch | ms median | ms min | ms max | examples/s | GFLOP/s | peak MiB |\n"
                    + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
                    + rows.stream().map(r -> String.format(Locale.ROOT,
                    "| %s | %,d | %d | %d | %.2f | %.2f | %.2f | %,.0f | %.1f | %.0f |", r.layer, r.vocab, r.dim, r.batch,
                    r.msMedian, r.msMin, r.msMax, r.examplesPerS, r.gflops, r.peakMb)).collect(Collectors.joining("\n"))
                    + "\n";
        };
    }
}
