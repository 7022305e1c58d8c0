package io.spherical.cli;

import io.spherical.api.UserException;
import io.spherical.models.loss.LossRegistry;
import io.spherical.training.LossPlugin;
import io.spherical.training.data.Corpora;
import io.spherical.training.data.Corpus;
import io.spherical.training.data.Split;
import io.spherical.training.Metrics;
import io.spherical.training.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Prints the metrics of a saved model on a split. */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate a trained run on a split: top-1/5/10/20/50/100 error, MRR, loss, perplexity if defined.",
        footer = {"", "Examples:", "  spherical eval --run runs/latest", "  spherical eval --run runs/a --split valid",
            "  spherical eval --run runs/latest --file my-text.txt"})
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--run", required = true, description = "run directory (holds checkpoint.zip)")
    Path run;
    @Option(names = "--split", description = "train, valid or test (default: ${DEFAULT-VALUE})")
    String split = "test";
    @Option(names = "--corpus", description = "the corpus the run was trained on (default: as recorded in the run)")
    String corpus;
    @Option(names = "--file", description = "evaluate on this text file instead, tokenised as the run's corpus was "
            + "(default: none, a split of the corpus)")
    Path file;
    @Option(names = "--max-eval", description = "examples at most, 0: all (default: ${DEFAULT-VALUE})")
    long maxEval;
    @Option(names = "--backend", description = "force a backend by name (default: the best available, see "
            + "'spherical backends')")
    String backend;
    @Option(names = "--cache", description = "corpus cache directory (default: $SPHERICAL_CACHE or ~/.cache/spherical)")
    Path cache;
    @Option(names = "--verbose", description = "show stack traces of errors")
    boolean verbose;
    @picocli.CommandLine.Mixin
    ProgressOptions progressOptions = new ProgressOptions();

    @Override
    public Integer call() {
        Split s;
        try {
            s = Split.valueOf(split.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserException("--split must be train, valid or test, got '" + split + "'.");
        }
        if (!Files.isRegularFile(run.resolve(Trainer.CHECKPOINT))) {
            throw new UserException("No checkpoint in " + run + ". Fix: pass --run with a run directory written by "
                    + "'spherical train'.");
        }
        if (Files.isRegularFile(run.resolve("run.json"))) {
            // a plugin loss that is not loaded is refused before the corpus is opened (which may mean preparing it)
            LossPlugin.requireLoaded(runJson(), LossRegistry.discover());
        }
        String spec0 = corpus != null ? corpus : recordedCorpus();
        Progress progress = progressOptions.open(spec.commandLine().getOut());
        Corpus c = file != null ? io.spherical.training.RunTokens.forSpec(recordedCorpus()).corpusOf(file)
                : Corpora.open(spec0, cache != null ? cache : Corpora.defaultCache(), progress::status);
        try (CommandContext rt = CommandContext.of(backend)) {
            Metrics m = rt.trainer().evaluateCheckpoint(run.resolve(Trainer.CHECKPOINT), c, s, maxEval, progress);
            progress.close();
            var w = spec.commandLine().getOut();
            w.printf(Locale.ROOT, "split %s, %d examples%n", m.split(), m.examples());
            w.printf(Locale.ROOT, "loss %.4f%n", m.loss());
            m.topKError().forEach((k, v) -> w.printf(Locale.ROOT, "top-%d error %.4f%n", k, v));
            w.printf(Locale.ROOT, "MRR %.4f%n", m.mrr());
            w.println("perplexity " + (Double.isNaN(m.perplexity()) ? "- (not a normalised model)"
                    : String.format(Locale.ROOT, "%.2f", m.perplexity())));
            return 0;
        } finally {
            progress.close();
        }
    }

    private String recordedCorpus() {
        return ResumeCheck.recorded(runJson(), run);
    }

    private com.fasterxml.jackson.databind.JsonNode runJson() {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(run.resolve("run.json").toFile());
        } catch (java.io.IOException e) {
            throw new UserException("Cannot tell which corpus " + run + " was trained on (" + e.getMessage()
                    + "). Fix: pass --corpus.");
        }
    }
}
