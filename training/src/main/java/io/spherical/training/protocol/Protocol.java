package io.spherical.training.protocol;

import com.fasterxml.jackson.core.type.TypeReference;
import io.spherical.api.UserException;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.output.DivergenceException;
import io.spherical.training.HistoryRow;
import io.spherical.training.Metrics;
import io.spherical.training.RunDirectory;
import io.spherical.training.Schedule;
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
 *   <li><b>test</b>: the final models, and only they, are evaluated once on the test split ({@code final.csv}): each
 *       run's best validation interval, and its best interval within each time budget ({@link Snapshots}).</li>
 * </ol>
 * The test split is read only for a final run whose training has ended, each snapshot once: every run is tested as
 * soon as it ends (a short {@code test} stage between two final runs), and its metrics are sealed in its
 * {@code test.json}, which nothing reads before the last stage writes {@code final.csv}. Nothing after tuning selects
 * anything, so this is the same as testing at the end; it lets a fresh machine resume the final stage from each
 * finished run's small files ({@code done.json}, {@code test.json}) without its snapshots.
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

    /**
     * One final run: its kind, name and selected candidate; the test metrics of its best validation interval; the test
     * top-10 error of the best interval within each time budget (absent when no interval ended within it); the training
     * seconds until its best interval and in all; the factored layer's counters and the slow intervals; the training
     * examples per training second (each interval's throughput weighted by its seconds).
     */
    public record Outcome(String kind, String run, Candidate selected, Metrics test, Map<Double, Double> budgetTop10,
                          double secondsToBest, double trainSeconds, long controlledSteps, long hostSolves,
                          int slowIntervals, double examplesPerSecond) {
    }

    /**
     * How many times the tuning grid of a kind is extended at each edge: doubling while the largest rate tried wins,
     * halving while the smallest wins, quartering while every rate diverges. selection.csv says whether the chosen
     * rate ended interior (a larger and a smaller rate tried and worse) or still at an edge when the extensions ran out.
     */
    static final int EXTENSIONS = 5;
    /** The plateau schedule halves after an interval without improvement: tuning needs this many to show it acting. */
    static final int SCHEDULE_INTERVALS = 3;

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
        checkSchedules(candidates.stream().map(Candidate::schedule).toList(), s.tuneIntervals());
        observer.stage("tuning");
        Map<String, Candidate> best = tune(candidates);
        if (best == null) {
            return null;
        }
        if (tuningOnly) {
            return List.of();
        }

        observer.stage("final");
        StringBuilder curves = new StringBuilder("kind,run,interval,examples,train_seconds,valid_top1,valid_top10,"
                + "valid_top100,valid_mrr,valid_perplexity,interval_seconds,slow,controlled_steps,host_solves\n");
        Map<String, Candidate> finals = new LinkedHashMap<>();
        Map<String, List<HistoryRow>> finalHistory = new LinkedHashMap<>();
        for (Candidate c : best.values()) {
            int seeds = s.seeded().contains(c.kind()) ? s.seeds() : 1;
            for (int seed = 1; seed <= seeds; seed++) {
                String run = c.kind() + "-seed" + seed;
                Path dir = out.resolve("final").resolve(run);
                observer.run("final", run);
                ModelConfig mc = c.model().toBuilder().seed(c.model().seed() + seed - 1).build();
                List<HistoryRow> h = trainOnce(dir, mc, config(c, s.maxIntervals(), s.patience(), s.finalSeconds()),
                        new Snapshots(listener, dir, s.budgets()));
                if (h == null) {
                    return null;
                }
                double t = 0;
                long examples = 0;
                double median = RunFigures.median(h);
                for (HistoryRow r : h) {
                    t += r.seconds();
                    examples += RunFigures.intervalExamples(r, s.interval());
                    Metrics m = r.metrics();
                    curves.append(String.format(Locale.ROOT, "%s,%s,%d,%d,%.1f,%.4f,%.4f,%.4f,%.4f,%s,%.1f,%s,%d,%d%n",
                            c.kind(), run, r.epoch(), examples, t, m.topKError().get(1),
                            m.topKError().get(10), m.topKError().get(100), m.mrr(), Double.isNaN(m.perplexity()) ? ""
                                    : String.format(Locale.ROOT, "%.2f", m.perplexity()), r.seconds(),
                            r.seconds() > RunFigures.SLOW * median, r.controlledSteps(), r.hostSolves()));
                }
                if (!h.isEmpty()) {
                    finals.put(run, c);
                    finalHistory.put(run, h);
                    // its training has ended: its snapshots are tested now, once, and the result sealed in test.json,
                    // read by nothing before the test stage (nothing after tuning selects anything), so that a later
                    // session on a fresh machine resumes from small files instead of the snapshots
                    observer.stage("test");
                    observer.run("test", run);
                    if (testOnce(dir) == null) {
                        return null;
                    }
                    observer.stage("final");
                }
            }
        }
        write("curves.csv", curves);

        observer.stage("test");
        List<Outcome> outcomes = new ArrayList<>();
        StringBuilder fin = new StringBuilder("kind,run,candidate,best_interval,top1,top5,top10,top20,top50,top100,mrr,"
                + "perplexity");
        s.budgets().forEach(b -> fin.append(String.format(Locale.ROOT, ",test_top10_within_%.0fs", b)));
        fin.append(",seconds_to_best,train_seconds,controlled_steps,host_solves,slow_intervals\n");
        for (Map.Entry<String, Candidate> e : finals.entrySet()) {
            Path dir = out.resolve("final").resolve(e.getKey());
            observer.run("test", e.getKey());
            Map<String, Metrics> tests = testOnce(dir);
            if (tests == null) {
                return null;
            }
            Metrics m = tests.getOrDefault(Snapshots.BEST, tests.get(Trainer.CHECKPOINT));
            Map<Double, Double> within = new LinkedHashMap<>();
            s.budgets().forEach(b -> {
                Metrics at = tests.get(Snapshots.budgetFile(b));
                if (at != null) {
                    within.put(b, at.topKError().get(10));
                }
            });
            Candidate c = e.getValue();
            List<HistoryRow> h = finalHistory.get(e.getKey());
            HistoryRow last = h.get(h.size() - 1);
            double toBest = RunFigures.secondsToBest(h);
            int slow = RunFigures.slowIntervals(h);
            outcomes.add(new Outcome(c.kind(), e.getKey(), c, m, within, toBest, seconds(h), last.controlledSteps(),
                    last.hostSolves(), slow, RunFigures.examplesPerSecond(h)));
            Map<Integer, Double> k = m.topKError();
            fin.append(String.format(Locale.ROOT, "%s,%s,%s,%d,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%.4f,%s", c.kind(),
                    e.getKey(), c.name(), tests.containsKey(Snapshots.BEST) ? HistoryRow.best(h) + 1 : 0, k.get(1), k.get(5),
                    k.get(10), k.get(20), k.get(50), k.get(100), m.mrr(),
                    Double.isNaN(m.perplexity()) ? "" : String.format(Locale.ROOT, "%.2f", m.perplexity())));
            s.budgets().forEach(b -> fin.append(within.containsKey(b)
                    ? String.format(Locale.ROOT, ",%.4f", within.get(b)) : ","));
            fin.append(String.format(Locale.ROOT, ",%.1f,%.1f,%d,%d,%d%n", toBest, seconds(h), last.controlledSteps(),
                    last.hostSolves(), slow));
        }
        write("final.csv", fin);
        return outcomes;
    }

    /**
     * The tuning stage: every candidate, kind by kind, then the grid extended at its edge where the edge won (the best
     * rate the largest tried: twice that rate, while it improves) or where every rate diverged (a quarter of the
     * smallest), at most {@link #EXTENSIONS} times each way. Writes tuning.csv and selection.csv; returns the best
     * candidate of each kind on validation top-10 error (ties: the first tried), or null when interrupted.
     */
    private Map<String, Candidate> tune(List<Candidate> candidates) {
        Map<String, List<Candidate>> byKind = new LinkedHashMap<>();
        candidates.forEach(c -> byKind.computeIfAbsent(c.kind(), k -> new ArrayList<>()).add(c));
        Map<String, Candidate> best = new LinkedHashMap<>();
        Map<String, Double> bestScore = new LinkedHashMap<>();
        Map<String, List<Candidate>> ratesTried = new LinkedHashMap<>();
        StringBuilder tuning = new StringBuilder("kind,candidate,learning_rate,schedule,best_valid_top10,train_seconds,"
                + "diverged,lr_halvings,controlled_steps,host_solves\n");
        for (Map.Entry<String, List<Candidate>> kind : byKind.entrySet()) {
            List<Candidate> tried = new ArrayList<>();
            ratesTried.put(kind.getKey(), tried);
            List<Candidate> todo = kind.getValue();
            int up = 0;
            int down = 0;
            while (!todo.isEmpty()) {
                for (Candidate c : todo) {
                    Path dir = out.resolve("tuning").resolve(c.name());
                    observer.run("tuning", c.name());
                    List<HistoryRow> h = trainOnce(dir, c.model(), config(c, s.tuneIntervals(), 0, s.tuneSeconds()), listener);
                    if (h == null) {
                        return null;
                    }
                    tried.add(c);
                    double score = h.stream().mapToDouble(r -> r.metrics().topKError().get(10)).min().orElse(Double.NaN);
                    tuning.append(String.format(Locale.ROOT, "%s,%s,%s,%s,%s,%.1f,%s,%d,%d,%d%n", c.kind(), c.name(),
                            c.learningRate(), c.schedule().label(), h.isEmpty() ? ""
                                    : String.format(Locale.ROOT, "%.4f", score), seconds(h), h.isEmpty(),
                            RunFigures.halvings(c, h), h.isEmpty() ? 0 : h.get(h.size() - 1).controlledSteps(),
                            h.isEmpty() ? 0 : h.get(h.size() - 1).hostSolves()));
                    if (!h.isEmpty() && (!bestScore.containsKey(c.kind()) || score < bestScore.get(c.kind()))) {
                        best.put(c.kind(), c);
                        bestScore.put(c.kind(), score);
                    }
                }
                Candidate b = best.get(kind.getKey());
                double max = tried.stream().mapToDouble(Candidate::learningRate).max().orElseThrow();
                double min = tried.stream().mapToDouble(Candidate::learningRate).min().orElseThrow();
                if (b == null && down < EXTENSIONS) {
                    down++;
                    todo = tried.stream().filter(c -> c.learningRate() == min).map(c -> c.withRate(min / 4)).toList();
                } else if (b != null && b.learningRate() == max && up < EXTENSIONS) {
                    up++;
                    todo = List.of(b.withRate(max * 2));
                } else if (b != null && b.learningRate() == min && max > min && down < EXTENSIONS) {
                    down++;
                    todo = List.of(b.withRate(min / 2));
                } else {
                    todo = List.of();
                }
            }
        }
        write("tuning.csv", tuning);
        StringBuilder selection = new StringBuilder("kind,candidate,learning_rate,schedule,best_valid_top10,rate\n");
        best.forEach((kind, c) -> selection.append(String.format(Locale.ROOT, "%s,%s,%s,%s,%.4f,%s%n", kind, c.name(),
                c.learningRate(), c.schedule().label(), bestScore.get(kind), RunFigures.position(c, ratesTried.get(kind)))));
        write("selection.csv", selection);
        return best;
    }

    /**
     * Refuses a schedule axis that cannot act: with several schedules, tuning needs {@link #SCHEDULE_INTERVALS}
     * intervals, since the plateau schedule halves the rate only after an interval without improvement.
     */
    public static void checkSchedules(List<Schedule> schedules, int tuneIntervals) {
        if (schedules.stream().distinct().count() > 1 && tuneIntervals < SCHEDULE_INTERVALS) {
            throw new UserException("Tuning several schedules needs at least " + SCHEDULE_INTERVALS + " intervals per "
                    + "candidate (the plateau schedule halves the rate only after an interval without improvement), got "
                    + tuneIntervals + ". Fix: pass --tune-intervals " + SCHEDULE_INTERVALS + " or more, or one "
                    + "--schedules value.");
        }
    }

    private TrainingConfig config(Candidate c, int intervals, int patience, double seconds) {
        return TrainingConfig.builder().epochs(intervals).learningRate(c.learningRate()).schedule(c.schedule())
                .patience(patience).minCount(s.minCount()).vocabSize(s.vocabSize()).maxTrainSeconds(seconds)
                .limits(s.interval(), s.evalExamples()).build();
    }

    private static double seconds(List<HistoryRow> h) {
        return h.stream().mapToDouble(HistoryRow::seconds).sum();
    }


    /**
     * The validation history of a run: read back when it finished before, else trained (resumed when it has a
     * checkpoint); empty when it diverged; null when interrupted.
     */
    private List<HistoryRow> trainOnce(Path dir, ModelConfig mc, TrainingConfig tc, TrainingListener l) {
        Path done = dir.resolve("done.json");
        try {
            List<HistoryRow> finished = StateFiles.read(done, new TypeReference<List<HistoryRow>>() { },
                    "the run is read back from its checkpoint or trained again", l::status);
            if (finished != null) {
                return finished;
            }
            // finished but done.json unwritten or lost: read back, as resuming would reopen a run that stopped early
            Path checkpoint = dir.resolve(Trainer.CHECKPOINT);
            var manifest = Files.exists(checkpoint) ? Checkpoint.read(checkpoint).manifest() : null;
            if (manifest != null && manifest.path("progress").path("finished").asBoolean()) {
                finished = Checkpoint.JSON.readerFor(new TypeReference<List<HistoryRow>>() { })
                        .readValue(manifest.get("history"));
                RunDirectory.writeAtomically(done, Checkpoint.JSON.writeValueAsBytes(finished));
                return finished;
            }
            List<HistoryRow> h;
            try {
                Trainer.Result r = trainer.train(corpus, mc, tc, dir, Files.exists(dir.resolve(Trainer.CHECKPOINT)),
                        l, stop);
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

    /**
     * The test metrics of a final run's snapshots ({@code best.zip} and the budgets' files; each distinct interval
     * evaluated once), computed once and kept in {@code test.json}; null when interrupted.
     */
    private Map<String, Metrics> testOnce(Path dir) {
        Path test = dir.resolve("test.json");
        try {
            Map<String, Metrics> tested = StateFiles.read(test, new TypeReference<LinkedHashMap<String, Metrics>>() { },
                    "the test metrics are computed again", listener::status);
            if (tested != null) {
                return tested;
            }
            Map<String, Integer> index = new LinkedHashMap<>(Snapshots.index(dir, listener::status));
            if (!index.containsKey(Snapshots.BEST)) {       // no snapshot kept: the run's last checkpoint stands in
                index.put(Trainer.CHECKPOINT, 0);
            }
            Map<Integer, Metrics> byInterval = new LinkedHashMap<>();
            Map<String, Metrics> tests = new LinkedHashMap<>();
            for (Map.Entry<String, Integer> e : index.entrySet()) {
                if (stop.get()) {
                    return null;
                }
                Metrics m = byInterval.get(e.getValue());
                if (m == null) {
                    m = trainer.evaluateCheckpoint(dir.resolve(e.getKey()), corpus, Split.TEST, s.evalExamples(),
                            listener);
                    byInterval.put(e.getValue(), m);
                }
                tests.put(e.getKey(), m);
            }
            RunDirectory.writeAtomically(test, Checkpoint.JSON.writeValueAsBytes(tests));
            return tests;
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
