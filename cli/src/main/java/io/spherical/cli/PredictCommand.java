package io.spherical.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spherical.api.UserException;
import io.spherical.training.Predictor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The most likely next words of a trained run: contexts from the arguments or, one per line, from standard input
 * (read and answered in batches, so a pipe of many contexts runs at batch speed).
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = "The k most likely next words after each context, from a trained run.",
        footer = {"", "Examples:", "  spherical predict --run runs/latest \"the cat sat on the\"",
            "  cat contexts.txt | spherical predict --run runs/latest --k 5 --format tsv"})
final class PredictCommand implements Callable<Integer> {
    /** Contexts read from standard input per batch. */
    static final int BATCH = 256;

    @Spec
    CommandSpec spec;

    @Option(names = "--run", required = true, description = "run directory (holds checkpoint.zip)")
    Path run;
    @Option(names = "--k", description = "words per context (default: ${DEFAULT-VALUE})")
    int k = 10;
    @Option(names = "--format", description = "text, tsv or json (one JSON object per line) (default: ${DEFAULT-VALUE})")
    String format = "text";
    @Option(names = "--approximate", description = "use the run's approximate index (built by 'spherical index'): "
            + "much faster at large vocabularies, the words only (no scores)")
    boolean approximate;
    @Option(names = "--verbose", description = "show stack traces of errors")
    boolean verbose;
    @Parameters(arity = "0..*", paramLabel = "CONTEXT", description = "contexts (quote each); none: read standard input, "
            + "one context per line")
    List<String> contexts = new ArrayList<>();

    private final ObjectMapper json = new ObjectMapper();
    private boolean warned;
    private long index;

    @Override
    public Integer call() throws IOException {
        if (!List.of("text", "tsv", "json").contains(format)) {
            throw new UserException("--format must be text, tsv or json, got '" + format + "'. Fix: --format tsv.");
        }
        if (k < 1) {
            throw new UserException("--k must be at least 1, got " + k + ". Fix: for example --k 10.");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Predictor p = Predictor.load(run)) {
            p.warnings().forEach(x -> spec.commandLine().getErr().println("spherical: " + x));
            if (k > p.vocabulary().size()) {
                throw new UserException("--k " + k + " is larger than the vocabulary (" + p.vocabulary().size()
                        + " words). Fix: a smaller --k.");
            }
            if (approximate) {
                p.useIndex(run);
            }
            if (format.equals("tsv")) {
                out.println("context\trank\tword\tscore\tprobability");
            }
            if (!contexts.isEmpty()) {
                answer(p, contexts, out);
            } else {
                BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
                List<String> batch = new ArrayList<>(BATCH);
                for (String line = in.readLine(); line != null; line = in.readLine()) {
                    batch.add(line);
                    if (batch.size() == BATCH || !in.ready()) {       // interactive use: answer what is typed
                        answer(p, batch, out);
                        batch.clear();
                    }
                }
                answer(p, batch, out);
            }
        }
        return 0;
    }

    private void answer(Predictor p, List<String> batch, PrintWriter out) {
        if (batch.isEmpty()) {
            return;
        }
        if (!warned && batch.stream().anyMatch(p::truncates)) {
            warned = true;
            spec.commandLine().getErr().println("spherical: the model reads the last " + p.contextWords() + " words of "
                    + "a context; earlier words are not used.");
        }
        List<List<Predictor.Prediction>> answers = approximate ? p.approximateTopK(batch, k) : p.topK(batch, k);
        for (int i = 0; i < batch.size(); i++) {
            print(batch.get(i), answers.get(i), out);
            index++;
        }
        out.flush();
    }

    private void print(String context, List<Predictor.Prediction> a, PrintWriter out) {
        switch (format) {
            case "tsv" -> {
                for (int r = 0; r < a.size(); r++) {
                    Predictor.Prediction x = a.get(r);
                    out.printf(Locale.ROOT, "%d\t%d\t%s\t%.6g\t%s%n", index, r + 1, x.word(), x.score(),
                            Double.isNaN(x.probability()) ? "" : String.format(Locale.ROOT, "%.6g", x.probability()));
                }
            }
            case "json" -> {
                ObjectNode o = json.createObjectNode().put("context", context);
                ArrayNode arr = o.putArray("predictions");
                for (Predictor.Prediction x : a) {
                    ObjectNode e = arr.addObject().put("word", x.word()).put("score", x.score());
                    if (!Double.isNaN(x.probability())) {
                        e.put("probability", x.probability());
                    }
                }
                out.println(o);
            }
            default -> {
                out.println(context);
                for (int r = 0; r < a.size(); r++) {
                    Predictor.Prediction x = a.get(r);
                    out.printf(Locale.ROOT, "  %2d  %-20s score %9.4f%s%n", r + 1, x.word(), x.score(),
                            Double.isNaN(x.probability()) ? "" : String.format(Locale.ROOT, "  p %.4f", x.probability()));
                }
            }
        }
    }
}
