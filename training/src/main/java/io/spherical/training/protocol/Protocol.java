package io.spherical.training.protocol;

import com.fasterxml.jackson.core.type.TypeReference;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.output.DivergenceException;
import io.spherical.training.HistoryRow;
import io.spherical.training.Metrics;
import io.spherical.training.RunDirectory;
import io.spherical.training.Trainer;
import io.spherical.training.TrainingConfig;
import io.spherical.training.TrainingListener;
import io.spherical.training.checkpoint.Checkpoint;
import io.spherical.training.data.Corpus;
import io.spherical.training.data.Split;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The comparison protocol, in three stages, each resumable (a finished run is read back, an interrupted one resumed):
 * <ol>
 *   <li><b>tuning</b>: every candidate trains for a short budget; its score is its best validation top-10 error;
 *       the best candidate of each kind is selected on that score only ({@code tuning.csv}, {@code selection.csv});</li>
 *   <li><b>final</b>: the selected candidate of each kind trains until its validation top-10 error has not improved
 *       for {@code patience} intervals, validated after every interval, with the training seconds so far, so that
 *       every kind has a curve of validation error against time ({@code curves.csv}); the fast kinds with several
 *       seeds;</li>
 *   <li><b>test</b>: the final models, and only they, are evaluated once on the test split ({@code final.csv}).</li>
 * </ol>
 * The test split is read in the last stage only.
 */
public final class Protocol {
    /** Told where the protocol is, for progress lines and for tests. */
    public interface Observer {
        /** A stage starts: {@code tuning}, {@code final} or {@code test}. */
        void stage(String name);

        /** A run starts (or is read back when already finished). */
        default void run(String stage, String name) {
        }
    }

    /** The selected candidate and test metrics of one final run. */
    public record Outcome(String kind, String run, Candidate selected, Metrics test, double trainSeconds) {
    }

    private final Trainer trainer;
    private final Corpus corpus;
    private final Path out;
    private final Settings s;
    private final Observer observer;
    private final TrainingListener listener;
    private final AtomicBoolean stop;

    /** A protocol writing under {@code out}. */
    public Protocol(Trainer trainer, Corpus corpus, Path out, Settings settings, Observer observer,
                    TrainingListener listener, AtomicBoolean stop) {
        this.trainer = trainer;
        this.corpus = corpus;
        this.out = out;
        this.s = settings;
        this.observer = observer;
        this.listener = listener;
        this.stop = stop;
    }

    /** Runs every stage not yet done; returns the outcomes, or null when interrupted (run again to continue). */
    public List<Outcome> run(List<Candidate> candidates) {
        return run(candidates, false);
    }

    /**
     * Runs the stages not yet done, the tuning stage alone when {@code tuningOnly} (then the outcomes are empty: a
     * later full run reuses the tuning and goes on); null when interrupted.
     */
    public List<Outcome> run(List<Candidate> candidates, boolean tuningOnly) {
        observer.stage("tuning");
        Map<String, Candidate> best = new LinkedHashMap<>();
        Map<String, Double> bestScore = new LinkedHashMap<>();
        StringBuilder tuning = new StringBuilder("kind,candidate,learning_rate,schedule,best_valid_top10,train_seconds,"
                + "diverged\n");
        for (Candidate c : candidates) {
            Path dir = out.resolve("tuning").resolve(c.name());
            observer.run("tuning", c.name());
            List<HistoryRow> h = trainOnce(dir, c.model(), config(c, s.tuneIntervals(), 0));
            if (h == null) {
                return null;
            }
            double score = h.stream().mapToDouble(r -> r.metrics().topKError().get(10)).min().orElse(Double.NaN);
            tuning.append(String.format(Locale.ROOT, "%s,%s,%s,%s,%s,%.1f,%s%n", c.kind(), c.name(), c.learningRate(),
                    c.schedule().label(), h.isEmpty() ? "" : String.format(Locale.ROOT, "%.4f", score),
                    seconds(h), h.isEmpty()));
            if (!h.isEmpty() && (!bestScore.containsKey(c.kind()) || score < bestScore.get(c.kind()))) {
                best.put(c.kind(), c);
                bestScore.put(c.kind(), score);
            }
        }
        write("tuning.csv", tuning);
        StringBuilder selection = new StringBuilder("kind,candidate,learning_rate,schedule,best_valid_top10\n");
        best.forEach((kind, c) -> selection.append(String.format(Locale.ROOT, "%s,%s,%s,%s,%.4f%n", kind, c.name(),
                c.learningRate(), c.schedule().label(), bestScore.get(kind))));
        write("selection.csv", selection);
        if (tuningOnly) {
            return List.of();
        }

        observer.stage("final");
        StringBuilder curves = new StringBuilder("kind,run,interval,examples,train_seconds,valid_top1,valid_top10,"
                + "valid_top100,valid_mrr,valid_perplexity\n");
        Map<String, Candidate> finals = new LinkedHashMap<>();
        Map<String, Double> finalSeconds = new LinkedHashMap<>();
        for (Candidate c : best.values()) {
            int seeds = s.seeded().contains(c.kind()) ? s.seeds() : 1;
            for (int seed = 1; seed <= seeds; seed++) {
                String run = c.kind() + "-seed" + seed;
                Path dir = out.resolve("final").resolve(run);
                observer.run("final", run);
                ModelConfig mc = c.model().toBuilder().seed(c.model().seed() + seed - 1).build();
                List<HistoryRow> h = trainOnce(dir, mc, config(c, s.maxIntervals(), s.patience()));
                if (h == null) {
                    return null;
                }
                double t = 0;
                for (HistoryRow r : h) {
                    t += r.seconds();
                    Metrics m = r.metrics();
                    curves.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%.1f,%.4f,%.4f,%.4f,%.4f,%s%n", c.kind(), run,
                            r.epoch(), r.epoch() * s.interval(), t, m.topKError().get(1), m.topKError().get(10),
                            m.topKError().get(100), m.mrr(), Double.isNaN(m.perplexity()) ? ""
                                    : String.format(Locale.ROOT, "%.2f", m.perplexity())));
                }
                if (!h.isEmpty()) {
                    finals.put(run, c);
                    finalSeconds.put(run, t);
                }
            }
        }
        write("curves.csv", curves);

        observer.stage("test");
        List<Outcome> outcomes = new ArrayList<>();
        StringBuilder fin = new StringBuilder("kind,run,candidate,top1,top5,top10,top20,top50,top100,mrr,perplexity,"
                + "train_seconds\n");
        for (Map.Entry<String, Candidate> e : finals.entrySet()) {
            Path dir = out.resolve("final").resolve(e.getKey());
            observer.run("test", e.getKey());
            Metrics m = testOnce(dir);
            Candidate c = e.getValue();
            outcomes.add(new Outcome(c.kind(), e.getKey(), c, m, finalSeconds.get(e.getKey())));
            Map<Integer, Double> k = m.topKError();
            fin.append(String.format(Locale.ROOT, "%s,%s,%s,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%s,%.1f%n", c.kind(),
                    e.getKey(), c.name(), k.get(1), k.get(5), k.get(10), k.get(20), k.get(50), k.get(100), m.mrr(),
                    Double.isNaN(m.perplexity()) ? "" : String.format(Locale.ROOT, "%.2f", m.perplexity()),
                    finalSeconds.get(e.getKey())));
        }
        write("final.csv", fin);
        return outcomes;
    }

    private TrainingConfig config(Candidate c, int intervals, int patience) {
        return TrainingConfig.builder().epochs(intervals).learningRate(c.learningRate()).schedule(c.schedule())
                .patience(patience).minCount(s.minCount()).limits(s.interval(), s.evalExamples()).build();
    }

    private static double seconds(List<HistoryRow> h) {
        return h.stream().mapToDouble(HistoryRow::seconds).sum();
    }

    /**
     * The validation history of a run: read back when it finished before, else trained (resumed when it has a
     * checkpoint); empty when it diverged; null when interrupted.
     */
    private List<HistoryRow> trainOnce(Path dir, ModelConfig mc, TrainingConfig tc) {
        Path done = dir.resolve("done.json");
        try {
            if (Files.exists(done)) {
                return Checkpoint.JSON.readValue(done.toFile(), new TypeReference<List<HistoryRow>>() { });
            }
            List<HistoryRow> h;
            try {
                Trainer.Result r = trainer.train(corpus, mc, tc, dir, Files.exists(dir.resolve(Trainer.CHECKPOINT)),
                        listener, stop);
                if (r.interrupted()) {
                    return null;
                }
                h = r.history();
            } catch (DivergenceException e) {
                h = List.of();   // a diverging candidate is a result: recorded, and never selected
            }
            RunDirectory.writeAtomically(done, Checkpoint.JSON.writeValueAsBytes(h));
            return h;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The test metrics of a final run, computed once and kept in {@code test.json}. */
    private Metrics testOnce(Path dir) {
        Path test = dir.resolve("test.json");
        try {
            if (Files.exists(test)) {
                return Checkpoint.JSON.readValue(test.toFile(), Metrics.class);
            }
            Metrics m = trainer.evaluate(dir, corpus, Split.TEST, s.evalExamples(), listener);
            RunDirectory.writeAtomically(test, Checkpoint.JSON.writeValueAsBytes(m));
            return m;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void write(String name, StringBuilder csv) {
        try {
            Files.createDirectories(out);
            RunDirectory.writeAtomically(out.resolve(name), csv.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
