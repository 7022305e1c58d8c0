package io.spherical.training.protocol;

import com.fasterxml.jackson.core.type.TypeReference;
import io.spherical.training.HistoryRow;
import io.spherical.training.Metrics;
import io.spherical.training.RunDirectory;
import io.spherical.training.TrainingListener;
import io.spherical.training.checkpoint.Checkpoint;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * What a final run keeps besides its last checkpoint, for the test stage: {@code best.zip}, the checkpoint of its best
 * validation top-10 error so far (the model the run is judged by), and for every time budget B (training seconds),
 * {@code at-Bs.zip}, the best one among the intervals that ended within B seconds of training (the model a user who
 * stopped training at B would keep). {@code snapshots.json} says which interval each file holds. Forwards every
 * callback to the listener it wraps.
 */
final class Snapshots implements TrainingListener {
    static final String BEST = "best.zip";
    static final String INDEX = "snapshots.json";

    private final TrainingListener inner;
    private final Path dir;
    private final List<Double> budgets;

    Snapshots(TrainingListener inner, Path dir, List<Double> budgets) {
        this.inner = inner;
        this.dir = dir;
        this.budgets = budgets;
    }

    /** The file name of the snapshot for a budget of {@code seconds}. */
    static String budgetFile(double seconds) {
        return String.format(Locale.ROOT, "at-%.0fs.zip", seconds);
    }

    /**
     * Which interval each snapshot holds ({@code best.zip} and the budgets' files), empty when none was kept; as
     * {@link #index(Path, Consumer)} without its status lines.
     */
    static Map<String, Integer> index(Path dir) {
        return index(dir, message -> { });
    }

    /**
     * Which interval each snapshot holds; an empty or truncated {@code snapshots.json} is deleted and reads as empty
     * (the test stage then uses the run's last checkpoint), and a listed file that is gone is left out (the test stage
     * goes on without it), each said in one line to {@code status}.
     */
    static Map<String, Integer> index(Path dir, Consumer<String> status) {
        try {
            Map<String, Integer> index = StateFiles.read(dir.resolve(INDEX),
                    new TypeReference<TreeMap<String, Integer>>() { }, "the test stage uses the run's last checkpoint",
                    status);
            if (index == null) {
                return Map.of();
            }
            index.keySet().removeIf(name -> {
                boolean gone = !Files.exists(dir.resolve(name));
                if (gone) {
                    status.accept("Snapshot " + dir.resolve(name) + " listed in " + INDEX + " is missing; the test stage"
                            + " goes on without it.");
                }
                return gone;
            });
            return index;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void checkpointed(List<HistoryRow> history, Path checkpoint) {
        inner.checkpointed(history, checkpoint);
        HistoryRow last = history.get(history.size() - 1);
        if (!HistoryRow.lastIsBest(history)) {      // a tie keeps the earlier interval (HistoryRow.best)
            return;
        }
        double seconds = history.stream().mapToDouble(HistoryRow::seconds).sum();
        Map<String, Integer> index = new TreeMap<>(index(dir, inner::status));
        try {
            copy(checkpoint, BEST);
            index.put(BEST, last.epoch());
            for (double b : budgets) {
                if (seconds <= b) {
                    copy(checkpoint, budgetFile(b));
                    index.put(budgetFile(b), last.epoch());
                }
            }
            RunDirectory.writeAtomically(dir.resolve(INDEX), Checkpoint.JSON.writeValueAsBytes(index));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Copies a checkpoint durably: to a temporary sibling forced to disk, renamed over the file, the directory forced. */
    private void copy(Path checkpoint, String name) throws IOException {
        Path tmp = dir.resolve(name + ".tmp");
        Files.copy(checkpoint, tmp, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        Checkpoint.forceDirectory(dir);
    }

    @Override
    public void status(String message) {
        inner.status(message);
    }

    @Override
    public void epochStarted(int epoch, long examples) {
        inner.epochStarted(epoch, examples);
    }

    @Override
    public void batchDone(long done, double loss) {
        inner.batchDone(done, loss);
    }

    @Override
    public void epochTrained(int epoch) {
        inner.epochTrained(epoch);
    }

    @Override
    public void evaluationStarted(String split, long examples) {
        inner.evaluationStarted(split, examples);
    }

    @Override
    public void evaluated(long done) {
        inner.evaluated(done);
    }

    @Override
    public void evaluationEnded(String split) {
        inner.evaluationEnded(split);
    }

    @Override
    public void epochEnded(int epoch, Metrics validation, double trainLoss, double examplesPerSecond) {
        inner.epochEnded(epoch, validation, trainLoss, examplesPerSecond);
    }
}
