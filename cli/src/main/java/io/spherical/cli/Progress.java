package io.spherical.cli;

import io.spherical.training.Metrics;
import io.spherical.training.TrainingListener;
import java.io.PrintWriter;
import java.util.Locale;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Progress bars (examples/s, current loss, ETA) for training and evaluation, and status lines. */
final class Progress implements TrainingListener, AutoCloseable {
    private final PrintWriter err;
    private ProgressBar bar;
    private double smoothed = Double.NaN;

    Progress(PrintWriter err) {
        this.err = err;
    }

    @Override
    public void status(String message) {
        close();
        err.println(message);
        err.flush();
    }

    private void open(String task, long max) {
        close();
        bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setUnit(" ex", 1)
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).showSpeed()
                .setMaxRenderedLength(110).build();
    }

    @Override
    public void epochStarted(int epoch, long examples) {
        smoothed = Double.NaN;
        open("epoch " + epoch, examples);
    }

    @Override
    public void batchDone(long done, double loss) {
        if (bar != null) {
            smoothed = Double.isNaN(smoothed) ? loss : 0.98 * smoothed + 0.02 * loss;
            bar.stepTo(done);
            bar.setExtraMessage(String.format(Locale.ROOT, "loss %.4f", smoothed));
        }
    }

    @Override
    public void epochTrained(int epoch) {
        close();
    }

    @Override
    public void evaluationStarted(String split, long examples) {
        open("eval " + split, examples);
    }

    @Override
    public void evaluated(long done) {
        if (bar != null) {
            bar.stepTo(done);
        }
    }

    @Override
    public void evaluationEnded(String split) {
        close();
    }

    @Override
    public void epochEnded(int epoch, Metrics v, double trainLoss, double eps) {
        err.printf(Locale.ROOT, "epoch %d: train loss %.4f, valid loss %.4f, top-1 %.4f, top-10 %.4f, MRR %.4f%s, %.0f ex/s%n",
                epoch, trainLoss, v.loss(), v.topKError().get(1), v.topKError().get(10), v.mrr(),
                Double.isNaN(v.perplexity()) ? "" : String.format(Locale.ROOT, ", perplexity %.1f", v.perplexity()), eps);
        err.flush();
    }

    @Override
    public void close() {
        if (bar != null) {
            bar.close();
            bar = null;
        }
    }
}
