package io.spherical.cli;

import io.spherical.api.Backend;
import io.spherical.api.UserException;
import io.spherical.benchmarks.TopKBench;
import io.spherical.models.lm.MemoryPlan;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Exact top-k prediction over a factored layer against its floors (see {@link TopKBench}). */
@Command(name = "topk", mixinStandardHelpOptions = true,
        description = "Time exact top-k prediction against the D x d x m GEMM alone (m > 1) and one pass over the "
                + "weights (m = 1), in the same run.",
        footer = {"", "Example:", "  spherical bench topk --vocab 100000,793471 --batch 1,200"})
final class BenchTopK implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--vocab", split = ",", description = "vocabulary sizes D (default: 100000,793471)")
    List<Integer> vocab = new ArrayList<>(List.of(100_000, 793_471));
    @Option(names = "--batch", split = ",", description = "contexts per call (default: 1,200)")
    List<Integer> batch = new ArrayList<>(List.of(1, 200));
    @Option(names = "--dim", description = "d with the bias (default: ${DEFAULT-VALUE})")
    int dim = 513;
    @Option(names = "--k", description = "words per context (default: ${DEFAULT-VALUE})")
    int k = 10;
    @Option(names = "--iterations", description = "timed runs per row, the median reported (default: ${DEFAULT-VALUE})")
    int iterations = 5;
    @Option(names = "--backend", description = "force a backend by name (default: the best available)")
    String backend;
    @Option(names = "--verbose", description = "show stack traces of errors")
    boolean verbose;

    @Override
    public Integer call() {
        if (dim < 2 || k < 1 || iterations < 1 || vocab.stream().anyMatch(d -> d < 2 || d < k)
                || batch.stream().anyMatch(m -> m < 1)) {
            throw new UserException("bench topk needs --dim >= 2, --k >= 1, --iterations >= 1, every --vocab >= 2 and "
                    + ">= --k, every --batch >= 1. Fix: for example --vocab 100000 --batch 1,200.");
        }
        for (int d : vocab) {
            long bytes = 4L * 3 * d * dim;                  // the layer's V, the reference matrix, their neighbours
            if ((long) d * dim > MemoryPlan.MAX_ELEMENTS || bytes > MemoryPlan.availableBytes()) {
                throw new UserException(String.format(Locale.ROOT, "bench topk at D = %d needs about %s, %s available."
                        + " Fix: lower --vocab or --dim.", d, MemoryPlan.human(bytes),
                        MemoryPlan.human(MemoryPlan.availableBytes())));
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        out.println("| D | m | k | top-k ms | GEMM ms | one pass over the weights ms (GB/s) | top-k / floor |");
        out.println("|---:|---:|---:|---:|---:|---:|---:|");
        try (CommandContext rt = CommandContext.of(backend)) {
            Backend b = rt.backend();
            for (int d : vocab) {
                for (int m : batch) {
                    TopKBench.Row r = TopKBench.run(b, d, dim, m, k, iterations);
                    out.printf(Locale.ROOT, "| %,d | %d | %d | %.2f | %.2f | %.2f (%.1f) | %.2f (%s) |%n", d, m, k,
                            r.topKMs(), r.gemmMs(), r.readMs(), r.gbPerS(), r.ratio(), m == 1 ? "pass" : "GEMM");
                    out.flush();
                }
            }
        }
        return 0;
    }
}
