package io.spherical.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Collective;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.lm.NgramLanguageModel;
import io.spherical.models.lm.OutputKind;
import io.spherical.models.lm.Vocabulary;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.optim.OptimizerRegistry;
import io.spherical.models.parallel.DataParallelStep;
import io.spherical.models.parallel.HostState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The trainer's side of the replica check: the progress travels exactly, the check runs when training starts (or else
 * before a process's first step) and every {@link DataParallelStep#CHECK_EVERY} steps of it (once per step, even when
 * the caller moves), and a worker whose progress differs from rank 0's gets rank 0's, with one status line.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplicaGuardTest {
    static final int LOCAL_BATCH = 3;

    private Backend b;

    @BeforeAll
    void open() {
        b = BackendDiscovery.discover().create("nd4j");
    }

    @AfterAll
    void close() {
        b.close();
    }

    @Test
    void progressTravelsBitForBit() {
        Progress p = new Progress(7, 3, 5_000_000_003L, 123_456_789_012L, 9_000_000_001L, Double.NaN, 77, -0.0,
                Double.POSITIVE_INFINITY, 2, true);
        Progress back = ReplicaGuard.fromHost(ReplicaGuard.toHost(p));
        assertEquals(p, back);
        assertEquals(Double.doubleToRawLongBits(p.lrScale()), Double.doubleToRawLongBits(back.lrScale()));
        Progress q = new Progress(0, 0, 0, 0, 1, 0.1 + 0.2, 1, 0.5, 0.25, 0, false);
        assertEquals(q, ReplicaGuard.fromHost(ReplicaGuard.toHost(q)));
        assertEquals(11, ReplicaGuard.toHost(q).size());
    }

    @Test
    void oneProcessIsNeverChecked() {
        ReplicaGuard g = new ReplicaGuard(0);
        Progress p = Progress.start();
        for (int i = 0; i < 3 * DataParallelStep.CHECK_EVERY; i++) {
            assertSame(p, g.beforeStep(null, p, new TrainingListener() { }));
        }
    }

    @Test
    void checksBeforeTheFirstStepAndEveryCheckEveryStepsOfTheProcess() {
        Peer peer = new Peer(null);
        try (NgramLanguageModel model = model(); DataParallelStep dp = new DataParallelStep(model, peer, LOCAL_BATCH)) {
            ReplicaGuard g = new ReplicaGuard(1);
            Progress p = new Progress(0, 0, 0, 0, 17, 0, 0, 1, 1, 0, false);   // not a multiple of CHECK_EVERY
            for (int i = 0; i < 2 * DataParallelStep.CHECK_EVERY + 1; i++) {
                assertSame(p, g.beforeStep(dp, p, new TrainingListener() { }));
            }
            assertEquals(3, peer.gathers);
            assertEquals(0, dp.resyncs());
        }
    }

    @Test
    void aWorkerElsewhereTakesRankZerosProgressOnce() {
        Progress theirs = new Progress(2, 1, 600, 900, 4000, 12.5, 30, 0.5, 0.375, 1, false);
        Progress mine = new Progress(1, 0, 40, 40, 2000, 3.25, 4, 1, 0.5, 0, false);
        Peer peer = new Peer(theirs);
        List<String> said = new ArrayList<>();
        TrainingListener listener = new TrainingListener() {
            @Override
            public void status(String message) {
                said.add(message);
            }
        };
        try (NgramLanguageModel model = model(); DataParallelStep dp = new DataParallelStep(model, peer, LOCAL_BATCH)) {
            ReplicaGuard g = new ReplicaGuard(1);
            Progress agreed = g.beforeStep(dp, mine, listener);
            assertNotSame(mine, agreed);
            assertEquals(theirs, agreed);
            assertEquals(1, dp.resyncs());
            assertEquals(1, said.size());
            assertTrue(said.get(0).startsWith("Worker 1: "), said.get(0));
            assertSame(agreed, g.beforeStep(dp, agreed, listener), "the check ran twice for one step");
            assertEquals(1, peer.gathers);
            for (int i = 1; i < DataParallelStep.CHECK_EVERY; i++) {
                assertSame(agreed, g.beforeStep(dp, agreed, listener));
            }
            assertEquals(1, peer.gathers);
            assertSame(agreed, g.beforeStep(dp, agreed, listener));   // the next check: now the same as rank 0's
            assertEquals(2, peer.gathers);
            assertEquals(1, dp.resyncs());
            assertEquals(1, said.size());
        }
    }

    @Test
    void theStartCheckStandsForTheCheckBeforeTheFirstStep() {
        Progress theirs = new Progress(1, 0, 0, 0, 3000, 0, 0, 1, 0.5, 0, true);      // rank 0 has finished the run
        Progress mine = new Progress(0, 2, 80, 120, 2500, 1.5, 6, 1, 0.5, 0, false);
        Peer peer = new Peer(theirs);
        TrainingListener quiet = new TrainingListener() { };
        assertSame(mine, new ReplicaGuard(0).atStart(null, mine, quiet), "one process is never checked");
        try (NgramLanguageModel model = model(); DataParallelStep dp = new DataParallelStep(model, peer, LOCAL_BATCH)) {
            ReplicaGuard g = new ReplicaGuard(1);
            Progress agreed = g.atStart(dp, mine, quiet);
            assertEquals(theirs, agreed);
            assertEquals(1, peer.gathers);
            assertEquals(1, dp.resyncs());
            for (int i = 0; i < DataParallelStep.CHECK_EVERY; i++) {
                assertSame(agreed, g.beforeStep(dp, agreed, quiet));
            }
            assertEquals(1, peer.gathers, "the first step was checked again");
            assertSame(agreed, g.beforeStep(dp, agreed, quiet));
            assertEquals(2, peer.gathers);
            assertEquals(1, dp.resyncs());
        }
    }

    /**
     * A group of two in which this process is rank 1 and rank 0 holds the same arrays and output counter, and the
     * trainer's progress {@code theirs} (this rank's own when null). It relies on the layout of the replica check's
     * gathered ints: the digest, then two ints per host value, the trainer's progress last.
     */
    private static final class Peer implements Collective {
        final Progress theirs;
        int gathers;

        Peer(Progress theirs) {
            this.theirs = theirs;
        }

        @Override
        public void allGather(int[] mine, int count, int[] all) {
            gathers++;
            System.arraycopy(mine, 0, all, 0, count);
            System.arraycopy(mine, 0, all, count, count);
            if (theirs != null) {
                HostState h = ReplicaGuard.toHost(theirs);
                int at = count - 2 * h.size();
                for (long v : h.values()) {
                    all[at++] = (int) (v >>> 32);
                    all[at++] = (int) v;
                }
            }
        }

        @Override
        public int rank() {
            return 1;
        }

        @Override
        public int size() {
            return 2;
        }

        @Override
        public void allReduceSum(float[] data, int offset, int length) {
            throw new UnsupportedOperationException("not used by the check");
        }

        @Override
        public void allGather(float[] mine, int count, float[] all) {
            throw new UnsupportedOperationException("not used by the check");
        }

        @Override
        public void broadcast(float[] data, int root) {
            throw new UnsupportedOperationException("the arrays are the same: nothing is broadcast");
        }

        @Override
        public void barrier() {
        }

        @Override
        public long bytesSent() {
            return 0;
        }

        @Override
        public void close() {
        }
    }

    private NgramLanguageModel model() {
        ModelConfig cfg = ModelConfig.builder().context(2).embedding(4).hidden(List.of(6)).seed(3)
                .output(OutputKind.FACTORED).loss("z-loss", Map.of()).build();
        List<String> words = new ArrayList<>();
        long[] counts = new long[20];
        for (int i = 0; i < counts.length; i++) {
            words.add(i == 0 ? "</s>" : i == 1 ? "<unk>" : "w" + i);
            counts[i] = counts.length - i;
        }
        return new NgramLanguageModel(b, cfg, new Vocabulary(words, counts),
                LossRegistry.discover().create(cfg.loss(), cfg.lossParams()),
                OptimizerRegistry.discover().create("sgd", Map.of()),
                DataParallelStep.modelBatch(cfg.output(), LOCAL_BATCH, 2));
    }
}
