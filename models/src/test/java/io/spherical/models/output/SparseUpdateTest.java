package io.spherical.models.output;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What the sparse output layers report before a step ({@link SparseUpdate}): every row the step then changes is
 * reported (a row not reported keeps its bits), the lists are sorted and distinct, and the bounds hold; the sampled
 * softmax reports the negatives the step will use without drawing them twice (a layer asked first steps exactly like
 * one that was not).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SparseUpdateTest {
    static final int CLASSES = 300;
    static final int DIM = 6;
    static final int BATCH = 12;

    private Backend b;

    @BeforeAll
    void open() {
        b = BackendDiscovery.discover().create("nd4j");
    }

    @AfterAll
    void close() {
        b.close();
    }

    static OutputLayer layer(Backend b, String kind) {
        return switch (kind) {
            case "sampled" -> new SampledSoftmaxOutput(b, CLASSES, DIM, BATCH, 3, 16, true);
            case "hsm" -> {
                long[] c = new long[CLASSES];
                for (int i = 0; i < CLASSES; i++) {
                    c[i] = 10_000 / (i + 1) + 1;
                }
                yield new HierarchicalSoftmaxOutput(b, c, DIM, BATCH, 3);
            }
            case "adaptive" -> new AdaptiveSoftmaxOutput(b, CLASSES, DIM, BATCH, new int[] {20, 100}, 3);
            default -> throw new IllegalArgumentException(kind);
        };
    }

    @ParameterizedTest
    @ValueSource(strings = {"sampled", "hsm", "adaptive"})
    void everyRowAStepChangesWasReported(String kind) {
        Random r = new Random(5);
        try (OutputLayer l = layer(b, kind);
             Tensor h = b.zeros(BATCH, DIM)) {
            SparseUpdate s = (SparseUpdate) l;
            RowSets sets = s.rowSets(BATCH);
            List<Tensor> params = new ArrayList<>(l.state().values());
            assertEquals(params.size(), sets.tensors());
            for (int step = 0; step < 3; step++) {
                float[] hv = new float[BATCH * DIM];
                for (int i = 0; i < hv.length; i++) {
                    hv[i] = (float) r.nextGaussian();
                }
                b.upload(hv, h);
                int[] targets = new int[BATCH];
                for (int i = 0; i < BATCH; i++) {
                    targets[i] = (int) (100 * r.nextDouble() * r.nextDouble());    // below 100: some rows untouched
                }
                s.touched(targets, BATCH, sets);
                List<float[]> before = new ArrayList<>();
                for (Tensor p : params) {
                    before.add(b.toHost(p));
                }
                l.step(h, targets, 0.5f, null);
                int untouched = 0;
                for (int t = 0; t < params.size(); t++) {
                    Tensor p = params.get(t);
                    float[] after = b.toHost(p);
                    boolean[] listed = new boolean[p.rows()];
                    if (sets.all(t)) {
                        Arrays.fill(listed, true);
                    } else {
                        int[] rows = sets.rows(t);
                        for (int i = 0; i < sets.count(t); i++) {
                            assertTrue(i == 0 || rows[i] > rows[i - 1], kind + ": the list is not sorted and distinct");
                            listed[rows[i]] = true;
                        }
                        assertTrue(sets.count(t) <= sets.maxRows(t), kind + ": more rows than the bound");
                    }
                    for (int i = 0; i < p.rows(); i++) {
                        boolean same = Arrays.equals(before.get(t), i * p.cols(), (i + 1) * p.cols(), after,
                                i * p.cols(), (i + 1) * p.cols());
                        assertTrue(listed[i] || same, kind + ": row " + i + " of tensor " + t + " changed, unreported");
                        untouched += listed[i] ? 0 : 1;
                    }
                }
                assertTrue(untouched > 0, kind + ": every row was reported (nothing to save)");
                if (kind.equals("sampled")) {
                    SampledSoftmaxOutput sm = (SampledSoftmaxOutput) l;
                    for (int k : sm.lastCandidates()) {
                        assertTrue(Arrays.binarySearch(sets.rows(0), 0, sets.count(0), k) >= 0, "negative " + k);
                    }
                    for (int k : targets) {
                        assertTrue(Arrays.binarySearch(sets.rows(0), 0, sets.count(0), k) >= 0, "target " + k);
                    }
                }
            }
        }
    }

    /** touched() draws the step's negatives once: asked (even twice) or not, the layers step the same, bit for bit. */
    @Test
    void askingTheSampledLayerDoesNotChangeItsDraws() {
        Random r = new Random(9);
        try (SampledSoftmaxOutput asked = (SampledSoftmaxOutput) layer(b, "sampled");
             SampledSoftmaxOutput plain = (SampledSoftmaxOutput) layer(b, "sampled");
             Tensor h = b.zeros(BATCH, DIM)) {
            RowSets sets = asked.rowSets(BATCH);
            for (int step = 0; step < 4; step++) {
                float[] hv = new float[BATCH * DIM];
                for (int i = 0; i < hv.length; i++) {
                    hv[i] = (float) r.nextGaussian();
                }
                b.upload(hv, h);
                int[] targets = new int[BATCH];
                for (int i = 0; i < BATCH; i++) {
                    targets[i] = r.nextInt(CLASSES);
                }
                asked.touched(targets, BATCH, sets);
                if (step % 2 == 1) {
                    asked.touched(targets, BATCH, sets);
                }
                double a = asked.step(h, targets, 0.5f, null);
                double p = plain.step(h, targets, 0.5f, null);
                assertArrayEquals(plain.lastCandidates(), asked.lastCandidates(), "step " + step + "'s negatives");
                assertEquals(plain.lastTries(), asked.lastTries());
                assertEquals(p, a, 0.0);
                assertArrayEquals(b.toHost(plain.state().get("W")), b.toHost(asked.state().get("W")), 0f);
                assertEquals(step + 1, asked.counter());
            }
        }
    }

    @Test
    void theBoundsAreTheWorstCases() {
        try (OutputLayer s = layer(b, "sampled");
             HierarchicalSoftmaxOutput hsm = (HierarchicalSoftmaxOutput) layer(b, "hsm");
             OutputLayer a = layer(b, "adaptive")) {
            assertEquals(16 + 40, ((SparseUpdate) s).rowSets(40).maxRows(0));
            assertEquals(CLASSES, ((SparseUpdate) s).rowSets(10_000).maxRows(0));
            RowSets h1 = hsm.rowSets(1);
            assertEquals(hsm.classCount(), h1.maxRows(0));
            assertEquals(0, h1.listCapacity(0));
            RowSets hAll = hsm.rowSets(hsm.classCount());
            assertEquals(CLASSES, hAll.maxRows(1), "one target in every class touches every word");
            assertTrue(h1.maxRows(1) < CLASSES && h1.maxRows(1) > 0);
            RowSets ad = ((SparseUpdate) a).rowSets(BATCH);
            long floats = 0;
            int t = 0;
            for (Tensor p : a.state().values()) {
                assertEquals(p.rows(), ad.maxRows(t++));
                floats += p.size();
            }
            assertEquals(AdaptiveSoftmaxOutput.parameterFloats(CLASSES, DIM, new int[] {20, 100}), floats);
        }
    }
}
