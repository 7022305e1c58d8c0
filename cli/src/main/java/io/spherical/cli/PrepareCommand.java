package io.spherical.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.spherical.api.UserException;
import io.spherical.models.lm.Vocabulary;
import io.spherical.training.CorpusVocabulary;
import io.spherical.training.data.Corpora;
import io.spherical.training.data.Corpus;
import io.spherical.training.data.Split;
import io.spherical.training.data.prepared.PreparedCorpus;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * Prepares a raw-text corpus (books or WikiExtractor output) into the cache and prints its statistics: documents,
 * sentences, tokens and word forms per split, the files skipped and why, and the out-of-vocabulary rate of the
 * validation and test splits at the chosen vocabulary. Training on the same corpus and options then starts without
 * reading the text again.
 */
@Command(name = "prepare", mixinStandardHelpOptions = true,
        description = "Prepare a raw-text corpus once (tokenise, split by document, count) and print its statistics.",
        footer = {"", "Examples:", "  spherical prepare --corpus books:path/to/books --vocab-size 200000",
            "  spherical prepare --corpus wiki:path/to/extracted --case keep"})
final class PrepareCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--corpus", required = true, description = "books:PATH or wiki:PATH (a folder or an archive; the "
            + "prefix may be left out when the path can only be raw text)")
    String corpus;
    @Option(names = "--vocab-size", description = "report the OOV rate for the N most frequent words (default: "
            + "${DEFAULT-VALUE}, no limit)")
    int vocabSize;
    @Option(names = "--min-count", description = "words seen fewer times in training count as unknown (default: 4, "
            + "or 1 with --vocab-size)")
    Integer minCount;
    @Option(names = "--case", description = "lower or keep (default: lower)")
    String caseOption;
    @Option(names = "--split", description = "fractions of documents for train,valid,test (default: 0.98,0.01,0.01)")
    String split;
    @Option(names = "--cache", description = "where prepared corpora are kept (default: $SPHERICAL_CACHE or "
            + "~/.cache/spherical)")
    Path cache;
    @Option(names = "--verbose", description = "show stack traces of errors")
    boolean verbose;

    @Override
    public Integer call() {
        long t0 = System.nanoTime();
        if (vocabSize < 0 || minCount != null && minCount < 1) {
            throw new UserException("--vocab-size must be >= 0 and --min-count >= 1, got " + vocabSize + " and " + minCount
                    + ". Fix: for example --vocab-size 200000.");
        }
        String s = TrainCommand.rawSpec(corpus, caseOption, split);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Corpus c = Corpora.open(s, cache != null ? cache : Corpora.defaultCache(), m -> {
            err.println(m);
            err.flush();
        });
        if (!(c instanceof PreparedCorpus p)) {
            throw new UserException(corpus + " is not raw text (books or wiki); it is read as it is, nothing to prepare. "
                    + "Fix: pass books:PATH or wiki:PATH.");
        }
        int min = minCount != null ? minCount : vocabSize > 0 ? 1 : 4;
        Vocabulary v = CorpusVocabulary.of(p, min, vocabSize);
        JsonNode m = p.manifest();
        out.printf(Locale.ROOT, "Corpus: %s%nPrepared in: %s (%.1f s when prepared; this command %.1f s)%n", m.path("corpus")
                .asText(), p.directory(), m.path("seconds").asDouble(), (System.nanoTime() - t0) / 1e9);
        out.printf(Locale.ROOT, "%-6s %10s %12s %14s %12s %10s%n", "split", "documents", "sentences", "tokens", "types",
                "OOV");
        for (Split sp : Split.values()) {
            JsonNode n = m.path("splits").path(sp.name().toLowerCase(Locale.ROOT));
            out.printf(Locale.ROOT, "%-6s %,10d %,12d %,14d %,12d %9.2f%%%n", sp.name().toLowerCase(Locale.ROOT),
                    n.path("documents").asLong(), n.path("sentences").asLong(), n.path("tokens").asLong(),
                    n.path("types").asLong(), 100 * p.oovRate(sp, v));
        }
        out.printf(Locale.ROOT, "Vocabulary: %,d word forms in training; kept %,d words (min count %d%s) + <unk> and "
                + "</s>%n", m.path("types").asLong(), v.size() - 2, min, vocabSize > 0 ? ", at most " + vocabSize : "");
        JsonNode skipped = m.path("skipped");
        out.println("Skipped: " + (skipped.isEmpty() ? "none" : skipped.toString()));
        return 0;
    }
}
