package io.spherical.training;

import io.spherical.api.UserException;
import io.spherical.training.data.Corpus;
import io.spherical.training.data.IdStream;
import io.spherical.training.data.Split;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Builds a run's approximate index ({@link ClusterIndex}), measures it on held-out contexts (the first examples of the
 * validation split: recall@10 against the exact top 10, and the batch-1 latency of both) for 1, 2, 4, ... probed
 * clusters, keeps the smallest number of probes whose recall reaches the goal, and writes it beside the checkpoint.
 */
public final class IndexBuilder {
    private IndexBuilder() {
    }

    /** One number of probes: its recall@10 and median batch-1 latencies (ms), approximate and exact. */
    public record Point(int probes, double recall, double approximateMs, double exactMs) {
    }

    /** What was built and measured. */
    public record Report(int clusters, double buildSeconds, long bytes, int examples, List<Point> points, int chosen) {
    }

    /** Builds, measures and writes the index of the run in {@code runDir}. */
    public static Report build(Path runDir, Predictor p, Corpus corpus, int clusters, int examples, double goal,
                               java.util.function.Consumer<String> status) {
        long t0 = System.nanoTime();
        status.accept("Clustering the " + p.vocabulary().size() + " output rows into " + clusters + " clusters ...");
        ClusterIndex idx = p.buildIndex(clusters, 17);
        double build = (System.nanoTime() - t0) / 1e9;
        IdStream s = corpus.chunks(Split.VALID).get(0).ids(p.vocabulary());
        int n = Math.min(examples, s.size());
        int ctxLen = p.contextWords();
        int[] ctx = new int[n * ctxLen];
        for (int i = 0; i < n; i++) {
            s.context(i, ctxLen, ctx, i * ctxLen);
        }
        float[][] q = p.queries(ctx, n);
        int[][] exact = new int[n][];
        double[] exactMs = new double[n];
        for (int i = 0; i < n; i++) {
            long a = System.nanoTime();
            exact[i] = p.exactIds(Arrays.copyOfRange(ctx, i * ctxLen, (i + 1) * ctxLen), 1, 10)[0];
            exactMs[i] = (System.nanoTime() - a) / 1e6;
        }
        double exactMedian = median(exactMs);
        float[] scratch = new float[p.vocabulary().size()];
        int[] ids = new int[p.vocabulary().size()];
        List<Point> points = new ArrayList<>();
        int chosen = -1;
        for (int probes = 1; probes <= clusters; probes *= 2) {
            idx.probes = probes;
            double hits = 0;
            double[] ms = new double[n];
            for (int i = 0; i < n; i++) {
                long a = System.nanoTime();
                int[] got = idx.topK(q[i], 10, scratch, ids);
                ms[i] = (System.nanoTime() - a) / 1e6;
                Set<Integer> want = new HashSet<>();
                Arrays.stream(exact[i]).forEach(want::add);
                hits += Arrays.stream(got).filter(want::contains).count() / (double) exact[i].length;
            }
            Point pt = new Point(probes, hits / n, median(ms), exactMedian);
            points.add(pt);
            status.accept(String.format(java.util.Locale.ROOT, "  %d probes: recall@10 %.4f, %.3f ms against %.3f ms",
                    probes, pt.recall(), pt.approximateMs(), exactMedian));
            if (pt.recall() >= goal) {
                chosen = probes;
                break;
            }
        }
        idx.probes = chosen > 0 ? chosen : clusters;
        Path file = runDir.resolve(Predictor.INDEX);
        try {
            idx.write(file);
            return new Report(clusters, build, Files.size(file), n, points, idx.probes);
        } catch (IOException e) {
            throw new UserException("Cannot write " + file + ": " + e.getMessage() + ". Fix: check the run directory is "
                    + "writable and has room.", e);
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length == 0 ? Double.NaN : s[s.length / 2];
    }
}
