package io.spherical.cli;

import io.spherical.api.Backend;
import io.spherical.api.UserException;
import io.spherical.training.data.Corpora;
import io.spherical.training.data.Corpus;
import io.spherical.models.lm.Activation;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.lm.OutputKind;
import io.spherical.training.CorpusVocabulary;
import io.spherical.training.DefaultRates;
import io.spherical.training.Preset;
import io.spherical.training.Schedule;
import io.spherical.training.HistoryRow;
import io.spherical.training.Trainer;
import io.spherical.training.TrainingConfig;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** Trains a language model and writes a run directory. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train an n-gram language model. With no options: the Brown corpus (fetched on first use), the",
            "factored Z-loss output layer, the best available backend; a few minutes on 2 cores."},
        footer = {"", "Examples:", "  spherical train",
            "  spherical train --loss z-loss --a 2 --b 3 --epochs 5",
            "  spherical train --output softmax        # log-softmax baseline",
            "  spherical train --output hsm            # hierarchical softmax",
            "  spherical train --output dense --loss log-taylor-softmax",
            "  spherical train --corpus path/to/ptb --context 5 --hidden 512,256",
            "  spherical train --preset 1bw --corpus 1bw:/data/1-billion-word-language-modeling-benchmark-r13output",
            "  spherical train --out runs/a --resume   # continue an interrupted run",
            "", "Exit codes: 0 success, 2 user error, 1 internal error, 130 interrupted (checkpoint written)."})
final class TrainCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--corpus", description = "brown, a directory of train/valid/test text, or 1bw:DIR (default: brown; "
            + "with --resume, the run's)")
    String corpus;
    @Option(names = "--preset", description = "brown or 1bw (the Z-loss authors' One Billion Word model); the defaults of the options "
            + "marked \"the preset's\" come from it (default: brown)")
    String preset;
    @Option(names = "--output", description = "factored, dense, softmax, hsm, sampled (sampled softmax) or adaptive (adaptive "
            + "softmax) (default: the preset's, brown: factored, 1bw: factored)")
    String output;
    @Option(names = "--samples", description = "sampled output: negative classes per step, drawn log-uniformly and "
            + "shared by the minibatch; evaluation is always the exact softmax (default: D/32 within 512..8192)")
    Integer samples;
    @Option(names = "--cutoffs", split = ",", description = "adaptive output: first word rank of each tail cluster, "
            + "e.g. 2000,10000 (default: 2000,10000 up to 50,000 words, else 20000,200000); tails use d/4, d/16, ...")
    List<Integer> cutoffs;
    @Option(names = "--step-bound", description = "factored output: the step control's bound on ||2 eta H^T diag(|fq|) H||"
            + " above which a step is scaled down, a departure from the paper's plain SGD step (docs/ALGORITHM.md 5); "
            + "inf disables it (default: 0.5)")
    String stepBound;
    @Option(names = "--loss", description = "spherical loss for factored/dense outputs; see 'spherical losses' "
            + "(default: the preset's, brown: z-loss, 1bw: z-loss)")
    String loss;
    @Option(names = "--loss-param", description = "any loss parameter as NAME=VALUE (repeatable); each parameter a "
            + "discovered loss declares also has its own option, such as --a and --b of the Z-loss (default: none, each "
            + "parameter at the loss's default, listed by 'spherical losses')")
    List<String> lossParams = new ArrayList<>();
    /** Values of the options {@link LossOptions} generates from the losses' declared hyperparameters. */
    final Map<String, Double> lossOptions = new LinkedHashMap<>();
    @Option(names = "--context", description = "previous words used (n - 1) (default: the preset's, brown: 4, 1bw: 10)")
    Integer context;
    @Option(names = "--embedding", description = "embedding width (default: the preset's, brown: 64, 1bw: 512)")
    Integer embedding;
    @Option(names = "--hidden", split = ",", description = "hidden layer widths, e.g. 512,256 (none: --hidden '') "
            + "(default: the preset's, brown: 256, 1bw: 2048,2048,512)")
    List<String> hidden;
    @Option(names = "--activation", description = "relu or tanh (default: the preset's, brown: relu, 1bw: relu)")
    String activation;
    @Option(names = "--optimizer", description = "optimizer of the hidden layers: sgd, momentum, adagrad, adam "
            + "(default: the preset's, brown: sgd, 1bw: sgd)")
    String optimizer;
    @Option(names = "--opt-param", description = "optimizer parameter NAME=VALUE (repeatable) (default: none, each "
            + "parameter at the optimizer's default)")
    List<String> optParams = new ArrayList<>();
    @Option(names = "--lr", description = "learning rate (default: brown: the rate the comparison protocol chose for the "
            + "output layer at the measured vocabulary nearest D, e.g. the Z-loss's 16 below D = 51,362 and 0.5 from it; "
            + "1bw: 0.01)")
    Double lr;
    @Option(names = "--schedule", description = "constant, linear or plateau (halve the rate when validation stops "
            + "improving) (default: the preset's, brown: plateau, 1bw: constant)")
    String schedule;
    @Option(names = "--batch", description = "minibatch size (default: the preset's, brown: 200, 1bw: 200)")
    Integer batch;
    @Option(names = "--epochs", description = "passes over the training data (default: the preset's, brown: 3, 1bw: 1)")
    Integer epochs;
    @Option(names = "--patience", description = "early stopping after N epochs without improvement, 0: off "
            + "(default: the preset's, brown: 2, 1bw: 0)")
    Integer patience;
    @Option(names = "--min-count", description = "rarer training words become <unk> "
            + "(default: the preset's, brown: 4, 1bw: 1)")
    Integer minCount;
    @Option(names = "--vocab-size", description = "keep at most the N most frequent training words besides <unk> and "
            + "</s> (ties alphabetical; --min-count still applies, and is 1 unless given) (default: no limit)")
    Integer vocabSize;
    @Option(names = "--case", description = "raw text (books:, wiki:): lower or keep (default: lower)")
    String caseOption;
    @Option(names = "--split", description = "raw text (books:, wiki:): fractions of documents for train,valid,test, "
            + "by each document's identity (default: 0.98,0.01,0.01)")
    String split;
    @Option(names = "--max-train", description = "training examples per epoch at most, 0: all "
            + "(default: the preset's, brown: 0, 1bw: 100000)")
    Long maxTrain;
    @Option(names = "--max-eval", description = "validation examples at most, 0: all "
            + "(default: the preset's, brown: 0, 1bw: 10000)")
    Long maxEval;
    @Option(names = "--checkpoint-every", description = "also checkpoint every N steps, 0: at epoch ends only "
            + "(default: the preset's, brown: 0, 1bw: 0)")
    Long checkpointEvery;
    @Option(names = "--seed", description = "random seed (initialisation and data order) "
            + "(default: the preset's, brown: 1, 1bw: 1)")
    Long seed;
    @Option(names = "--backend", description = "force a backend by name (default: the best available, see "
            + "'spherical backends')")
    String backend;
    @Option(names = "--out", description = "run directory (default: runs/train-<time>)")
    Path out;
    @Option(names = "--resume", description = {"continue the run in --out from its checkpoint. May change: --epochs (the",
        "new total), --lr, --schedule, --patience, --max-train, --max-eval, --checkpoint-every, --backend. Options",
        "that define the model or its data (--output, --loss and its parameters, sizes, --batch, --seed, --corpus,",
        "--min-count, --optimizer) must match the checkpoint or be left out."})
    boolean resume;
    @Option(names = "--cache", description = "where downloaded corpora are kept (default: $SPHERICAL_CACHE or ~/.cache/spherical)")
    Path cache;
    @Option(names = "--verbose", description = "show stack traces of errors")
    boolean verbose;
    @picocli.CommandLine.Mixin
    ProgressOptions progressOptions = new ProgressOptions();
    @picocli.CommandLine.Mixin
    GroupOptions group = new GroupOptions();

    @Override
    public Integer call() {
        PrintWriter w = spec.commandLine().getOut();
        ModelConfig mc = modelConfig();
        TrainingConfig tc = trainingConfig();
        if (resume && out == null) {
            throw new UserException("--resume needs --out DIR, the run directory to continue.");
        }
        Path runDir = out != null ? out : Path.of("runs", "train-" + LocalDateTime.now().format(
                DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        if (group.workers != null) {
            Workers.requireRoom(group.workers, mc, tc);       // before any worker starts or any file is written
            List<String> args = new ArrayList<>(spec.commandLine().getParseResult().originalArgs());
            int i = args.indexOf("--workers");
            if (i >= 0) {
                args.subList(i, i + 2).clear();
            } else {
                args.removeIf(a -> a.startsWith("--workers="));
            }
            if (out == null) {
                args.addAll(List.of("--out", runDir.toString()));
            }
            return Workers.launch(args, group.workers, runDir, w);
        }
        if (group.worldSize() > 1 && out == null) {
            throw new UserException("Every worker must write to the same run directory. Fix: pass the same --out DIR to "
                    + "every worker.");
        }
        CommandContext rt = CommandContext.of(backend);
        ResumeCheck check = resume ? ResumeCheck.of(runDir) : null;
        if (check != null) {
            check.requireLossPlugin(rt.losses());   // before any loss is looked up: a missing plugin names its jar
        }
        if (mc.output().spherical()) {
            rt.losses().create(mc.loss(), mc.lossParams());   // a bad loss or optimizer fails before any download
        }
        rt.optimizers().create(tc.optimizer(), tc.optimizerParams());
        Progress progress = progressOptions.open(w);
        String corpusSpec = rawSpec(corpus, caseOption, split);
        if (check != null) {
            check.refuseConflicts(this);
            corpusSpec = corpus != null ? rawSpec(corpus, caseOption, split) : check.recordedCorpus();
        }
        Corpus c = Corpora.open(corpusSpec != null ? corpusSpec : "brown", cache != null ? cache : Corpora.defaultCache(),
                progress::status);
        if (check == null && lr == null && preset() == Preset.BROWN) {
            tc = rateForVocabulary(mc, tc, c, w);
        }
        AtomicBoolean stop = new AtomicBoolean();
        Signals.onInterrupt(stop);
        try (rt; io.spherical.api.Collective g = group.join()) {
            Backend be = rt.backend();
            w.println("Backend: " + be.name() + " (" + be.device() + ")");
            w.println("Corpus: " + c.describe());
            w.println("Model: " + describe(mc) + "; training: " + tc.optimizer() + " lr " + tc.learningRate()
                    + " (" + tc.schedule().label() + "), batch " + tc.batch() + ", " + tc.epochs() + " epochs");
            w.flush();
            Trainer trainer = rt.trainer().inGroup(g);
            if (g.size() > 1) {
                w.println("Worker " + g.rank() + " of " + g.size() + ": global minibatch " + tc.batch() * g.size());
            }
            Trainer.Result r = trainer.train(c, mc, tc, runDir, resume, this::resumeChanges, progress, stop);
            progress.close();
            if (g.rank() != 0) {
                return r.interrupted() ? Main.INTERRUPTED : 0;     // worker 0 reports and writes the run's files
            }
            Plots.learningCurve(r.history(), runDir.resolve("learning-curve.png"));
            printTable(w, r.history());
            w.printf("Results in %s (checkpoint.zip, run.json, metrics.csv, learning-curve.png); %.1f s.%n",
                    runDir, r.seconds());
            linkLatest(runDir);
            if (r.interrupted()) {
                w.println("Interrupted. Continue with: spherical train --out " + runDir + " --resume");
                return Main.INTERRUPTED;
            }
            return 0;
        } finally {
            progress.close();
        }
    }

    /**
     * Without --lr, the Brown preset's rate follows the output layer and D ({@link DefaultRates}). The vocabulary is
     * counted here once more than the trainer does: a prepared corpus gives it from its counts, a small one is read in
     * a second or two.
     */
    private static TrainingConfig rateForVocabulary(ModelConfig mc, TrainingConfig tc, Corpus c, PrintWriter w) {
        int d = CorpusVocabulary.of(c, tc.minCount(), tc.vocabSize()).size();
        double r = DefaultRates.rate(mc, d, tc.learningRate());
        w.println("Learning rate " + r + ": the comparison protocol's choice for " + DefaultRates.kind(mc) + " at D = " + d
                + " (" + (DefaultRates.large(d) ? "nearer 200,000 words" : "nearer Brown's 13,190 words")
                + ", README: Learning rate); --lr sets another.");
        return tc.toBuilder().learningRate(r).build();
    }

    private Preset preset() {
        return Preset.parse(preset == null ? "brown" : preset);
    }

    private ModelConfig modelConfig() {
        ModelConfig base = preset().model();
        Map<String, Double> lp = LossOptions.merge(lossParams, lossOptions);
        List<Integer> hid = base.hidden();
        if (hidden != null) {
            hid = new ArrayList<>();
            for (String h : hidden) {
                if (!h.isBlank()) {
                    try {
                        hid.add(Integer.parseInt(h.trim()));
                    } catch (NumberFormatException e) {
                        throw new UserException("--hidden expects widths like 512,256, got '" + h + "'.");
                    }
                }
            }
        }
        ModelConfig.Builder m = base.toBuilder().hidden(hid).loss(loss != null ? loss : base.loss(), lp);
        Optional.ofNullable(context).ifPresent(m::context);
        Optional.ofNullable(embedding).ifPresent(m::embedding);
        Optional.ofNullable(activation).map(Activation::parse).ifPresent(m::activation);
        Optional.ofNullable(output).map(OutputKind::parse).ifPresent(m::output);
        Optional.ofNullable(seed).ifPresent(m::seed);
        Optional.ofNullable(samples).ifPresent(m::samples);
        Optional.ofNullable(cutoffs).ifPresent(m::cutoffs);
        Optional.ofNullable(stepBound).map(Options::stepBound).ifPresent(m::stepBound);
        return m.build();
    }

    private TrainingConfig trainingConfig() {
        TrainingConfig base = preset().training();
        TrainingConfig.Builder t = base.toBuilder().optimizer(optimizer != null ? optimizer : base.optimizer(),
                Options.keyValues(optParams, "--opt-param"));
        Optional.ofNullable(batch).ifPresent(t::batch);
        Optional.ofNullable(minCount).ifPresent(t::minCount);
        Optional.ofNullable(vocabSize).ifPresent(t::vocabSize);
        if (vocabSize != null && vocabSize > 0 && minCount == null) {
            t.minCount(1);              // the size is the rule: --vocab-size N asks for N words
        }
        return resumable(t).build();
    }

    /**
     * What may change when a run is resumed: epochs (the new total), learning rate, schedule, patience, example
     * limits and the checkpoint interval; everything else must match the checkpoint (see {@link ResumeCheck}).
     */
    private TrainingConfig resumeChanges(TrainingConfig saved) {
        return resumable(saved.toBuilder()).build();
    }

    private TrainingConfig.Builder resumable(TrainingConfig.Builder t) {
        TrainingConfig now = t.build();
        Optional.ofNullable(epochs).ifPresent(t::epochs);
        Optional.ofNullable(lr).ifPresent(t::learningRate);
        Optional.ofNullable(schedule).map(Schedule::parse).ifPresent(t::schedule);
        Optional.ofNullable(patience).ifPresent(t::patience);
        Optional.ofNullable(checkpointEvery).ifPresent(t::checkpointEvery);
        return t.limits(maxTrain != null ? maxTrain : now.maxTrainExamples(),
                maxEval != null ? maxEval : now.maxEvalExamples());
    }

    /** The corpus spec with --case and --split applied (they concern raw text only). */
    static String rawSpec(String corpus, String caseOption, String split) {
        if (caseOption == null && split == null) {
            return corpus;
        }
        boolean keep = caseOption != null && io.spherical.training.data.prepared.RawCorpora.caseOption(caseOption);
        String options = io.spherical.training.data.prepared.RawCorpora.options(keep, split == null
                ? io.spherical.training.data.raw.SplitRule.DEFAULT : io.spherical.training.data.raw.SplitRule.parse(split));
        if (corpus == null || corpus.equals("brown") || corpus.startsWith("1bw:")) {
            throw new UserException("--case and --split apply to raw text (books:PATH, wiki:PATH), not to " + (corpus == null
                    ? "the run's recorded corpus (pass --corpus with them)" : corpus) + ". Fix: leave them out, or pass a "
                    + "raw-text corpus.");
        }
        return options.isEmpty() ? corpus : corpus + (corpus.contains("?") ? "&" + options.substring(1) : options);
    }

    static String describe(ModelConfig mc) {
        return mc.context() + " words of context, embeddings " + mc.embedding() + ", hidden " + mc.hidden() + " "
                + mc.activation().label() + ", output " + mc.output().label()
                + (mc.output().spherical() ? " " + mc.loss() + (mc.lossParams().isEmpty() ? "" : " " + mc.lossParams()) : "")
                + (mc.output() == OutputKind.SAMPLED && mc.samples() > 0 ? ", " + mc.samples() + " samples" : "")
                + (mc.output() == OutputKind.ADAPTIVE && !mc.cutoffs().isEmpty() ? ", cutoffs " + mc.cutoffs() : "");
    }

    static void printTable(PrintWriter w, List<HistoryRow> history) {
        w.println();
        w.println("epoch  train-loss  valid-loss  top1-err  top10-err  top100-err     MRR  perplexity  examples/s");
        for (HistoryRow h : history) {
            var m = h.metrics();
            w.printf("%5d  %10.4f  %10.4f  %8.4f  %9.4f  %10.4f  %6.4f  %10s  %10.0f%n", h.epoch(), h.trainLoss(),
                    m.loss(), m.topKError().get(1), m.topKError().get(10), m.topKError().get(100), m.mrr(),
                    Double.isNaN(m.perplexity()) ? "-" : String.format("%.1f", m.perplexity()), h.examplesPerSecond());
        }
        w.println();
    }

    private static void linkLatest(Path runDir) {
        try {
            Path parent = runDir.toAbsolutePath().getParent();
            Path latest = parent.resolve("latest");
            if (Files.isSymbolicLink(latest) || !Files.exists(latest)) {
                Files.deleteIfExists(latest);
                Files.createSymbolicLink(latest, parent.relativize(runDir.toAbsolutePath()));
            }
        } catch (Exception ignored) {
            // a convenience only
        }
    }
}
