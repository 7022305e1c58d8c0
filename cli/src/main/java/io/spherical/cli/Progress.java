package io.spherical.cli;

import io.spherical.training.Metrics;
import io.spherical.training.TrainingListener;
import java.io.Console;
import java.io.IOException;
import java.io.PrintWriter;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Progress of training and evaluation (examples/s, current loss, ETA) and status lines, in one of three forms
 * ({@link Mode}): a progress bar redrawn in place on a terminal; one plain line per period (10 s by default) where the
 * output goes to a file or a pipe, so that a log stays readable; or nothing but the status lines ({@code --quiet}).
 * Status lines (fetching the corpus, vocabulary, checkpoints, early stopping) and the per-epoch result line print in
 * every mode.
 */
final class Progress implements TrainingListener, AutoCloseable {
    /** How progress is shown. */
    enum Mode {
        /** A progress bar (progressbar library, on standard error), redrawn in place: for a terminal. */
        BAR,
        /** One line per period, no carriage returns: for a log file. */
        PLAIN,
        /** No progress lines; status and result lines only. */
        QUIET;

        /** {@link #BAR} when standard output and standard error are a terminal, else {@link #PLAIN}. */
        static Mode auto() {
            return terminal() ? BAR : PLAIN;
        }
    }

    /** The period of plain progress lines unless one is given. */
    static final long DEFAULT_PERIOD_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final PrintWriter out;
    private final Mode mode;
    private final long period;
    private final LongSupplier clock;
    private ProgressBar bar;
    private double smoothed = Double.NaN;
    // the task of the plain lines: "epoch 2" or "eval valid", its size, when it started and when the next line is due
    private String task;
    private long total;
    private long started;
    private long next;
    private boolean training;

    /** Progress as {@code auto} chooses it ({@link Mode#auto()}), a plain line every 10 s; lines go to {@code out}. */
    Progress(PrintWriter out) {
        this(out, Mode.auto(), DEFAULT_PERIOD_NANOS, System::nanoTime);
    }

    /**
     * Progress in {@code mode}; status lines and plain progress lines go to {@code out} (the bar, drawn by its
     * library, goes to standard error), a plain line every {@code periodNanos} of {@code nanoClock}.
     */
    Progress(PrintWriter out, Mode mode, long periodNanos, LongSupplier nanoClock) {
        if (periodNanos <= 0) {
            throw new IllegalArgumentException("period must be > 0, got " + periodNanos);
        }
        this.out = out;
        this.mode = mode;
        this.period = periodNanos;
        this.clock = nanoClock;
    }

    /** The form this progress takes. */
    Mode mode() {
        return mode;
    }

    @Override
    public void status(String message) {
        closeBar();   // a plain task goes on: its next line is still due at its time
        out.println(message);
        out.flush();
    }

    private void open(String name, long max, boolean train) {
        close();
        smoothed = Double.NaN;
        task = name;
        total = max;
        training = train;
        started = clock.getAsLong();
        next = started + period;
        if (mode == Mode.BAR) {
            bar = new ProgressBarBuilder().setTaskName(name).setInitialMax(max).setUnit(" ex", 1)
                    .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).showSpeed()
                    .setMaxRenderedLength(110).build();
        }
    }

    private void advance(long done) {
        if (task == null) {
            return;
        }
        if (mode == Mode.BAR) {
            if (bar != null) {
                bar.stepTo(done);
                if (training) {
                    bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f", smoothed));
                }
            }
        } else if (mode == Mode.PLAIN) {
            long now = clock.getAsLong();
            if (now - next >= 0) {
                next += ((now - next) / period + 1) * period;    // one line however many periods this step took
                out.println(line(done, now));
                out.flush();
            }
        }
    }

    /** A plain progress line: task, examples done of the total, examples/s, smoothed loss (training), ETA. */
    private String line(long done, long now) {
        double seconds = (now - started) / 1e9;
        double rate = seconds > 0 ? done / seconds : Double.NaN;
        StringBuilder s = new StringBuilder(task).append(": ")
                .append(String.format(Locale.ROOT, "%,d", done));
        if (total > 0) {
            s.append(String.format(Locale.ROOT, "/%,d examples (%.0f%%)", total, 100.0 * done / total));
        } else {
            s.append(" examples");
        }
        if (!Double.isNaN(rate)) {
            s.append(String.format(Locale.ROOT, ", %,.0f ex/s", rate));
        }
        if (training && !Double.isNaN(smoothed)) {
            s.append(String.format(Locale.ROOT, ", loss %.4f", smoothed));
        }
        if (total > done && rate > 0) {
            s.append(", ETA ").append(duration((long) Math.ceil((total - done) / rate)));
        }
        return s.toString();
    }

    /** Seconds as {@code m:ss} or {@code h:mm:ss}. */
    static String duration(long seconds) {
        long h = seconds / 3600;
        long m = seconds / 60 % 60;
        long sec = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, sec)
                : String.format(Locale.ROOT, "%d:%02d", m, sec);
    }

    @Override
    public void epochStarted(int epoch, long examples) {
        open("epoch " + epoch, examples, true);
    }

    @Override
    public void batchDone(long done, double loss) {
        if (task != null) {
            smoothed = Double.isNaN(smoothed) ? loss : 0.98 * smoothed + 0.02 * loss;
        }
        advance(done);
    }

    @Override
    public void epochTrained(int epoch) {
        close();
    }

    @Override
    public void evaluationStarted(String split, long examples) {
        open("eval " + split, examples, false);
    }

    @Override
    public void evaluated(long done) {
        advance(done);
    }

    @Override
    public void evaluationEnded(String split) {
        close();
    }

    @Override
    public void epochEnded(int epoch, Metrics v, double trainLoss, double eps) {
        close();
        out.printf(Locale.ROOT, "epoch %d: train loss %.4f, valid loss %.4f, top-1 %.4f, top-10 %.4f, MRR %.4f%s, %.0f ex/s%n",
                epoch, trainLoss, v.loss(), v.topKError().get(1), v.topKError().get(10), v.mrr(),
                Double.isNaN(v.perplexity()) ? "" : String.format(Locale.ROOT, ", perplexity %.1f", v.perplexity()), eps);
        out.flush();
    }

    @Override
    public void close() {
        task = null;
        closeBar();
    }

    private void closeBar() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }

    /**
     * Whether a progress bar can be redrawn in place: a console (standard input and output a terminal; on Java 22 and
     * later also {@code Console.isTerminal()}) and, where /proc tells, standard error (where the bar goes) a terminal.
     */
    static boolean terminal() {
        Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            Method isTerminal = Console.class.getMethod("isTerminal");   // Java 22+: console() is no longer null
            if (!Boolean.TRUE.equals(isTerminal.invoke(console))) {   // when the streams are redirected
                return false;
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            // Java 17 to 21: a non-null console means a terminal
        }
        return standardErrorIsTerminal();
    }

    private static boolean standardErrorIsTerminal() {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
            return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty") || target.equals("/dev/console");
        } catch (IOException | RuntimeException e) {
            return true;   // no /proc (macOS, Windows): the console decides
        }
    }
}
