package io.spherical.cli;

import io.spherical.api.UserException;
import io.spherical.models.lm.ModelConfig;
import io.spherical.training.CorpusVocabulary;
import io.spherical.training.Schedule;
import io.spherical.training.data.Corpora;
import io.spherical.training.data.Corpus;
import io.spherical.training.protocol.Candidate;
import io.spherical.training.protocol.Grid;
import io.spherical.training.protocol.Protocol;
import io.spherical.training.protocol.Settings;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The comparison protocol of every output kind on one corpus (see {@link Protocol}): tuning on the validation split
 * with a short budget per candidate, final runs of each kind's selected candidate until validation stops improving
 * (with a validation curve against training seconds), and the test split read once for the final models. Resumable:
 * run the same command again after an interruption. Writes tuning.csv, selection.csv, curves.csv, final.csv and the
 * plots time-to-accuracy.png and topk.png under --out.
 */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = "Run the comparison protocol (tuning on validation, final runs, test once); resumable.",
        footer = {"", "The wall-clock axis of the curves is the comparison: run on a quiet machine (nothing else running,",
            "no build or test beside it). An interval slower than 3x its run's median is flagged in curves.csv",
            "(slow) and counted in final.csv (slow_intervals).", "", "Examples:",
            "  spherical experiment --out runs/protocol",
            "  spherical experiment --kinds z-loss,log-softmax --interval 100000 --max-intervals 10"})
final class ExperimentCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--corpus", description = "corpus (default brown)")
    String corpus = "brown";
    @Option(names = "--out", description = "protocol directory (default runs/protocol)")
    Path out = Path.of("runs", "protocol");
    @Option(names = "--kinds", split = ",", description = "output kinds to compare (default all: z-loss, "
            + "log-taylor-softmax, log-spherical-softmax, squared-error, hsm, sampled-softmax, adaptive-softmax, log-softmax)")
    List<String> kinds = new ArrayList<>(Grid.KINDS);
    @Option(names = "--lrs", split = ",", description = "learning rates tried in tuning (default 0.2,0.5,1); the grid "
            + "is extended, up to 5 times each way, by doubling while its largest rate wins, halving while its smallest "
            + "wins and quartering while every rate diverges (selection.csv says whether the chosen rate is interior)")
    List<Double> rates = new ArrayList<>(List.of(0.2, 0.5, 1.0));
    @Option(names = "--schedules", split = ",", description = "schedules tried in tuning, in order: on a tie the first "
            + "wins (default plateau: the schedule is not tuned; several need --tune-intervals 3 or more, since the "
            + "plateau schedule halves the rate only after an interval without improvement)")
    List<String> schedules = new ArrayList<>(List.of("plateau"));
    @Option(names = "--interval", description = "training examples between validations (default 200000)")
    long interval = 200_000;
    @Option(names = "--tune-intervals", description = "intervals per tuning run (default 4)")
    int tuneIntervals = 4;
    @Option(names = "--max-intervals", description = "intervals a final run takes at most (default 40)")
    int maxIntervals = 40;
    @Option(names = "--patience", description = "final runs stop after this many intervals without improvement "
            + "(default 3)")
    int patience = 3;
    @Option(names = "--max-eval", description = "validation and test examples at most (default 0: all)")
    long maxEval;
    @Option(names = "--seeds", description = "final runs of each kind in --seeded (default 2)")
    int seeds = 2;
    @Option(names = "--seeded", split = ",", description = "the kinds whose final run is repeated --seeds times, the "
            + "others run once (default every kind); a later run with more kinds adds their seeds")
    List<String> seeded;
    @Option(names = "--budgets", split = ",", description = "training seconds at which each final run's best model so "
            + "far is tested too (default 300,900,3600)")
    List<Double> budgets = new ArrayList<>(Settings.BUDGETS);
    @Option(names = "--min-count", description = "words seen fewer times become <unk> (default 4, or 1 with --vocab-size)")
    Integer minCount;
    @Option(names = "--vocab-size", description = "at most the N most frequent training words (default 0: no limit)")
    int vocabSize;
    @Option(names = "--budget", description = "wall-clock training budget of each final run, e.g. 30m, 90s, 2h: every "
            + "kind gets the same time, not the same number of steps (default: none; --max-intervals and --patience "
            + "bound it)")
    String budget;
    @Option(names = "--tune-budget", description = "wall-clock training budget of each tuning candidate (default: none;"
            + " --tune-intervals bounds it)")
    String tuneBudget;
    @Option(names = "--tuning-only", description = "run the tuning stage only (selection.csv); a later run without it "
            + "reuses the tuning and goes on")
    boolean tuningOnly;
    @Option(names = "--backend", description = "force a backend by name")
    String backend;

    /** A duration such as {@code 30m}, {@code 90s}, {@code 2h} or plain seconds, in seconds (0 when absent). */
    static double seconds(String v, String option) {
        if (v == null) {
            return 0;
        }
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*([smh]?)").matcher(v.trim());
        if (!m.matches()) {
            throw new UserException(option + " expects a duration such as 30m, 90s or 2h, got '" + v + "'. Fix: for "
                    + "example " + option + " 30m.");
        }
        double x = Double.parseDouble(m.group(1));
        return switch (m.group(2)) {
            case "m" -> x * 60;
            case "h" -> x * 3600;
            default -> x;
        };
    }

    @Override
    public Integer call() throws IOException {
        Progress progress = new Progress(spec.commandLine().getErr());
        int min = minCount != null ? minCount : vocabSize > 0 ? 1 : 4;
        Settings settings = new Settings(interval, tuneIntervals, maxIntervals, patience, maxEval, seeds,
                Set.copyOf(seeded != null ? seeded : kinds), min, budgets, vocabSize, seconds(tuneBudget, "--tune-budget"),
                seconds(budget, "--budget"));
        Grid.checkKinds(kinds, "--kinds");
        if (seeded != null) {
            Grid.checkKinds(seeded, "--seeded");
        }
        List<Schedule> sched = schedules.stream().map(Schedule::parse).toList();
        Protocol.checkSchedules(sched, tuneIntervals);
        Corpus c = Corpora.open(corpus, Corpora.defaultCache(), progress::status);
        int vocab = CorpusVocabulary.of(c, min, vocabSize).size();
        List<Candidate> grid = Grid.candidates(ModelConfig.brownDefault(), vocab, kinds, rates, sched);
        if (grid.isEmpty()) {
            throw new UserException("The protocol has no candidate. Fix: give --kinds, --lrs and --schedules values.");
        }
        AtomicBoolean stop = new AtomicBoolean();
        Signals.onInterrupt(stop);
        List<Protocol.Outcome> outcomes;
        try (CommandContext rt = CommandContext.of(backend)) {
            Protocol.Observer observer = new Protocol.Observer() {
                @Override
                public void stage(String name) {
                    progress.status("stage: " + name);
                }

                @Override
                public void run(String stage, String name) {
                    progress.status(stage + ": " + name);
                }
            };
            outcomes = new Protocol(rt.trainer(), c, out, settings, observer, progress, stop).run(grid, tuningOnly);
        } finally {
            progress.close();
        }
        if (outcomes == null) {
            spec.commandLine().getOut().println("Interrupted; run the same command again to continue.");
            return Main.INTERRUPTED;
        }
        if (tuningOnly) {
            spec.commandLine().getOut().print(java.nio.file.Files.readString(out.resolve("selection.csv")));
            return 0;
        }
        ProtocolReport.write(out, outcomes, spec.commandLine().getOut());
        return 0;
    }
}
