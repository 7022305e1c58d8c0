package io.spherical.cli;

import io.spherical.training.IndexBuilder;
import io.spherical.training.Predictor;
import io.spherical.training.data.Corpora;
import io.spherical.training.data.Corpus;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Builds a run's approximate top-k index and measures it on held-out contexts (see {@link IndexBuilder}). */
@Command(name = "index", mixinStandardHelpOptions = true,
        description = "Build the approximate top-k index of a run (factored output), measure recall@10 and speed on "
                + "validation contexts, and save it beside the checkpoint for 'predict --approximate'.",
        footer = {"", "Example:", "  spherical index --run runs/large --clusters 1024"})
final class IndexCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--run", required = true, description = "run directory (holds checkpoint.zip)")
    Path run;
    @Option(names = "--clusters", description = "k-means clusters (default: 4 sqrt(D))")
    Integer clusters;
    @Option(names = "--examples", description = "validation contexts measured (default: ${DEFAULT-VALUE})")
    int examples = 500;
    @Option(names = "--recall", description = "the recall@10 the number of probes must reach (default: ${DEFAULT-VALUE})")
    double recall = 0.99;
    @Option(names = "--cache", description = "corpus cache (default: $SPHERICAL_CACHE or ~/.cache/spherical)")
    Path cache;
    @Option(names = "--verbose", description = "show stack traces of errors")
    boolean verbose;

    @Override
    public Integer call() throws java.io.IOException {
        PrintWriter out = spec.commandLine().getOut();
        String corpusSpec = ResumeCheck.recorded(new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(run.resolve("run.json").toFile()), run);
        try (Predictor p = Predictor.load(run)) {
            p.warnings().forEach(out::println);
            Corpus c = Corpora.open(corpusSpec, cache != null ? cache : Corpora.defaultCache(), m -> out.println(m));
            int k = clusters != null ? clusters : (int) Math.round(4 * Math.sqrt(p.vocabulary().size()));
            IndexBuilder.Report r = IndexBuilder.build(run, p, c, k, examples, recall, m -> {
                out.println(m);
                out.flush();
            });
            out.printf(Locale.ROOT, "Index: %d clusters, built in %.1f s, %.1f MiB; %d probes kept (recall goal %.2f, %d "
                    + "validation contexts)%n", r.clusters(), r.buildSeconds(), r.bytes() / 1048576.0, r.chosen(), recall,
                    r.examples());
            out.println("| probes | recall@10 | approximate ms | exact ms | speed-up |");
            out.println("|---:|---:|---:|---:|---:|");
            for (IndexBuilder.Point pt : r.points()) {
                out.printf(Locale.ROOT, "| %d | %.4f | %.3f | %.3f | %.1fx |%n", pt.probes(), pt.recall(),
                        pt.approximateMs(), pt.exactMs(), pt.exactMs() / pt.approximateMs());
            }
        }
        return 0;
    }
}
