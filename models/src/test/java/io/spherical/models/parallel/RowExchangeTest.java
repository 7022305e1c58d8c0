package io.spherical.models.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Tensor;
import io.spherical.models.output.AdaptiveSoftmaxOutput;
import io.spherical.models.output.HierarchicalSoftmaxOutput;
import io.spherical.models.output.OutputLayer;
import io.spherical.models.output.OutputShape;
import io.spherical.models.output.RowSets;
import io.spherical.models.output.SampledSoftmaxOutput;
import io.spherical.models.output.SparseUpdate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The row exchange of the sparse output layers on two workers that are threads of this process
 * ({@link InProcessGroup}), each with its own backend and layer, against one layer stepping on the whole minibatch:
 * with the rows the layer reports, both workers end with the same bits and with the one-process update (the change
 * of every array within {@link #TOLERANCE} of its largest change; rows nobody touches unchanged bit for bit), the
 * same dL/dH rows and loss; with one touched row left out of S, the result is no longer the one-process update.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RowExchangeTest {
    static final int CLASSES = 300;
    static final int DIM = 6;
    static final int LOCAL = 5;
    static final int RANKS = 2;
    static final int SAMPLES = 16;
    static final float ETA = 0.5f;
    /**
     * Largest difference between a worker's and the one process's change of an array, relative to the array's largest
     * change: float32 rounding of moves of about 5e-2 on weights of about 0.3 leaves some 1e-6 of it; a row left out
     * differs by the other worker's share of its move, a large part of it.
     */
    static final double TOLERANCE = 1e-4;

    private final Backend[] backends = new Backend[RANKS + 1];

    @BeforeAll
    void open() {
        for (int i = 0; i < backends.length; i++) {
            backends[i] = BackendDiscovery.discover().create("nd4j");
        }
    }

    @AfterAll
    void close() {
        for (Backend b : backends) {
            b.close();
        }
    }

    /** What a worker (or the one process) ends with. */
    record Outcome(double loss, Map<String, float[][]> state, float[] grad, long workspace, long rows) {
    }

    @ParameterizedTest
    @ValueSource(strings = {"sampled", "hsm", "adaptive"})
    void theReportedRowsGiveTheOneProcessUpdateOnEveryWorker(String kind) throws Exception {
        Data data = data();
        Map<String, float[][]> initial = initial(kind);
        Outcome one = oneProcess(kind, data);
        List<Outcome> workers = onEveryRank(kind, data, -1, -1, new AtomicInteger());
        for (String k : initial.keySet()) {
            for (int r = 1; r < RANKS; r++) {
                for (int i = 0; i < initial.get(k).length; i++) {
                    assertArrayEquals(workers.get(0).state().get(k)[i], workers.get(r).state().get(k)[i], 0f,
                            kind + ": rank " + r + " differs from rank 0 in " + k + " row " + i);
                }
            }
            float[][] before = initial.get(k);
            float[][] want = one.state().get(k);
            float[][] got = workers.get(0).state().get(k);
            double largest = largestChange(before, want);
            double diff = 0;
            for (int i = 0; i < before.length; i++) {
                if (Arrays.equals(before[i], want[i])) {
                    assertArrayEquals(before[i], got[i], 0f, kind + ": " + k + " row " + i + " moved, nobody touched it");
                }
                for (int j = 0; j < before[i].length; j++) {
                    diff = Math.max(diff, Math.abs(((double) got[i][j] - before[i][j]) - ((double) want[i][j] - before[i][j])));
                }
            }
            assertTrue(diff <= TOLERANCE * largest, kind + ": " + k + "'s change differs from one process's by " + diff
                    + ", its largest change is " + largest);
        }
        assertTrue(largestChange(initial.get(headOf(kind)), one.state().get(headOf(kind))) > 0, "nothing moved");
        double gradScale = 0;
        for (float g : one.grad()) {
            gradScale = Math.max(gradScale, Math.abs(g));
        }
        for (int r = 0; r < RANKS; r++) {
            float[] mine = workers.get(r).grad();
            for (int i = 0; i < mine.length; i++) {
                assertEquals(one.grad()[r * LOCAL * DIM + i], mine[i], 1e-5 * gradScale, kind + ": dL/dH of rank " + r);
            }
            assertEquals(one.loss(), workers.get(r).loss(), 1e-5 * Math.abs(one.loss()), kind + ": the loss");
        }
    }

    /**
     * The workspace grows to the rows of S the step needed (per tensor: every row of a tensor reported whole, the
     * listed rows of the others, nothing for a tensor left alone), not to the layer's worst case for N m targets, and
     * is not a second copy of D x d: for the hierarchical softmax, whose worst case is most of the words, it holds
     * only the words of the classes hit.
     */
    @ParameterizedTest
    @ValueSource(strings = {"sampled", "hsm", "adaptive"})
    void theWorkspaceHoldsTheRowsOfSOnly(String kind) throws Exception {
        Data data = data();
        List<Outcome> workers = onEveryRank(kind, data, -1, -1, new AtomicInteger());
        long want = 0;
        long worst = 0;
        long exchanged = 0;
        try (OutputLayer l = layer(backends[RANKS], kind, RANKS * LOCAL)) {       // S as the workers saw it
            SparseUpdate s = (SparseUpdate) l;
            RowSets sets = s.rowSets(RANKS * LOCAL);
            s.touched(data.targets(), RANKS * LOCAL, sets);
            int t = 0;
            for (Tensor p : l.state().values()) {
                long rows = sets.all(t) ? p.rows() : sets.count(t);
                want += rows * p.cols();
                exchanged += rows;
                worst += Math.min(p.rows(), sets.maxRows(t)) * p.cols();
                t++;
            }
        }
        for (int r = 0; r < RANKS; r++) {
            assertEquals(want, workers.get(r).workspace(), kind + ": rank " + r + "'s workspace is not S");
            assertEquals(exchanged, workers.get(r).rows(), kind + ": rank " + r + " exchanged other rows than S");
        }
        assertTrue(want <= worst, kind + ": the workspace exceeds the worst case");
        assertTrue(want < (long) CLASSES * (DIM + 1), kind + ": the workspace is not below D x d");
        if (!kind.equals("sampled")) {
            assertTrue(want < worst, kind + ": the workspace is the worst case (" + worst + " floats), not S");
        }
    }

    /**
     * The row with the largest one-process change, left out of S: each worker keeps only its own share of that row's
     * move, so at least one of them misses half of it or more.
     */
    @ParameterizedTest
    @CsvSource({"sampled,0", "hsm,1"})
    void aTouchedRowLeftOutOfTheExchangeBreaksTheUpdate(String kind, int tensor) throws Exception {
        Data data = data();
        Map<String, float[][]> initial = initial(kind);
        Outcome one = oneProcess(kind, data);
        String name = new ArrayList<>(initial.keySet()).get(tensor);
        float[][] before = initial.get(name);
        float[][] want = one.state().get(name);
        int row = -1;
        int col = -1;
        double largest = 0;
        for (int i = 0; i < before.length; i++) {
            for (int j = 0; j < before[i].length; j++) {
                double move = Math.abs((double) want[i][j] - before[i][j]);
                if (move > largest) {
                    largest = move;
                    row = i;
                    col = j;
                }
            }
        }
        AtomicInteger dropped = new AtomicInteger();
        List<Outcome> workers = onEveryRank(kind, data, tensor, row, dropped);
        assertEquals(RANKS, dropped.get(), "row " + row + " of " + name + " was not in S");
        double worst = 0;
        for (Outcome w : workers) {
            worst = Math.max(worst, Math.abs(((double) w.state().get(name)[row][col] - before[row][col])
                    - ((double) want[row][col] - before[row][col])));
        }
        assertTrue(worst >= 0.4 * largest, kind + ": without row " + row + " in S the workers still match one "
                + "process (off by " + worst + " of a change of " + largest + ")");
    }

    // ---- the layers, the data, the runs ---------------------------------------------------------------------------

    static int[] cutoffs() {
        return new int[] {20, 100};
    }

    static long[] counts() {
        long[] c = new long[CLASSES];
        for (int i = 0; i < CLASSES; i++) {
            c[i] = 10_000 / (i + 1) + 1;
        }
        return c;
    }

    static OutputLayer layer(Backend b, String kind, int maxBatch) {
        return switch (kind) {
            case "sampled" -> new SampledSoftmaxOutput(b, CLASSES, DIM, maxBatch, 11, SAMPLES, true);
            case "hsm" -> new HierarchicalSoftmaxOutput(b, counts(), DIM, maxBatch, 11);
            case "adaptive" -> new AdaptiveSoftmaxOutput(b, CLASSES, DIM, maxBatch, cutoffs(), 11);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    static String headOf(String kind) {
        return switch (kind) {
            case "sampled" -> "W";
            case "hsm" -> "Wword";
            default -> "head";
        };
    }

    /** The global minibatch: N m rows of H and targets below 100 (so some classes, clusters and rows stay untouched). */
    record Data(float[] h, int[] targets) {
    }

    static Data data() {
        Random r = new Random(42);
        float[] h = new float[RANKS * LOCAL * DIM];
        for (int i = 0; i < h.length; i++) {
            h[i] = (float) r.nextGaussian();
        }
        int[] t = new int[RANKS * LOCAL];
        for (int i = 0; i < t.length; i++) {
            t[i] = (int) (100 * r.nextDouble() * r.nextDouble());
        }
        return new Data(h, t);
    }

    private Map<String, float[][]> initial(String kind) {
        try (OutputLayer l = layer(backends[RANKS], kind, RANKS * LOCAL)) {
            return snapshot(backends[RANKS], l);
        }
    }

    private Outcome oneProcess(String kind, Data data) {
        Backend b = backends[RANKS];
        try (OutputLayer l = layer(b, kind, RANKS * LOCAL);
             Tensor h = b.fromHost(data.h(), RANKS * LOCAL, DIM);
             Tensor g = b.zeros(RANKS * LOCAL, DIM)) {
            double loss = l.step(h, data.targets(), ETA, g);
            return new Outcome(loss, snapshot(b, l), b.toHost(g), 0, 0);
        }
    }

    /** Each rank steps on its m rows through a RowExchange; with {@code row >= 0}, that row of tensor t is left out. */
    private List<Outcome> onEveryRank(String kind, Data data, int tensor, int row, AtomicInteger dropped)
            throws Exception {
        InProcessGroup group = new InProcessGroup(RANKS);
        ExecutorService pool = Executors.newFixedThreadPool(RANKS);
        try {
            List<Future<Outcome>> running = new ArrayList<>();
            for (int r = 0; r < RANKS; r++) {
                int rank = r;
                running.add(pool.submit(() -> {
                    Backend b = backends[rank];
                    float[] mine = Arrays.copyOfRange(data.h(), rank * LOCAL * DIM, (rank + 1) * LOCAL * DIM);
                    int[] targets = Arrays.copyOfRange(data.targets(), rank * LOCAL, (rank + 1) * LOCAL);
                    try (OutputLayer l = layer(b, kind, LOCAL);
                         RowExchange ex = new RowExchange(b, group.member(rank), row < 0 ? l
                                 : new LeaveOneOut(l, tensor, row, dropped), LOCAL);
                         Tensor h = b.fromHost(mine, LOCAL, DIM);
                         Tensor g = b.zeros(LOCAL, DIM)) {
                        double loss = ex.step(h, targets, ETA, g);
                        return new Outcome(loss, snapshot(b, l), b.toHost(g), ex.workspaceFloats(),
                                ex.rowsExchanged());
                    }
                }));
            }
            List<Outcome> out = new ArrayList<>();
            for (Future<Outcome> f : running) {
                out.add(f.get(2, TimeUnit.MINUTES));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    static Map<String, float[][]> snapshot(Backend b, OutputLayer l) {
        Map<String, float[][]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : l.state().entrySet()) {
            Tensor t = e.getValue();
            float[] v = b.toHost(t);
            float[][] rows = new float[t.rows()][];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = Arrays.copyOfRange(v, i * t.cols(), (i + 1) * t.cols());
            }
            out.put(e.getKey(), rows);
        }
        return out;
    }

    static double largestChange(float[][] before, float[][] after) {
        double largest = 0;
        for (int i = 0; i < before.length; i++) {
            for (int j = 0; j < before[i].length; j++) {
                largest = Math.max(largest, Math.abs((double) after[i][j] - before[i][j]));
            }
        }
        return largest;
    }

    /** A layer that reports the rows its inner layer reports, except one row of one listed tensor (a broken S). */
    static final class LeaveOneOut implements OutputLayer, SparseUpdate {
        private final OutputLayer inner;
        private final int tensor;
        private final int row;
        private final AtomicInteger dropped;

        LeaveOneOut(OutputLayer inner, int tensor, int row, AtomicInteger dropped) {
            this.inner = inner;
            this.tensor = tensor;
            this.row = row;
            this.dropped = dropped;
        }

        @Override
        public RowSets rowSets(int targets) {
            return ((SparseUpdate) inner).rowSets(targets);
        }

        @Override
        public void touched(int[] targets, int count, RowSets out) {
            ((SparseUpdate) inner).touched(targets, count, out);
            if (out.all(tensor)) {
                throw new IllegalStateException("tensor " + tensor + " is reported whole: no row to leave out");
            }
            int[] rows = out.rows(tensor);
            int n = out.count(tensor);
            int k = 0;
            for (int i = 0; i < n; i++) {
                if (rows[i] != row) {
                    rows[k++] = rows[i];
                }
            }
            if (k < n) {
                dropped.incrementAndGet();
            }
            out.setRows(tensor, k);
        }

        @Override
        public OutputShape shape() {
            return inner.shape();
        }

        @Override
        public double step(Tensor h, int[] targets, float eta, Tensor gradOut) {
            return inner.step(h, targets, eta, gradOut);
        }

        @Override
        public void losses(Tensor h, int[] targets, double[] losses) {
            inner.losses(h, targets, losses);
        }

        @Override
        public void scores(Tensor h, Tensor out) {
            inner.scores(h, out);
        }

        @Override
        public boolean normalised() {
            return inner.normalised();
        }

        @Override
        public Map<String, Tensor> state() {
            return inner.state();
        }

        @Override
        public void close() {
        }
    }
}
