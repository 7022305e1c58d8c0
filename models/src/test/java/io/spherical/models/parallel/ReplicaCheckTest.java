package io.spherical.models.parallel;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Tensor;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.lm.NgramLanguageModel;
import io.spherical.models.lm.OutputKind;
import io.spherical.models.lm.Vocabulary;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.optim.OptimizerRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The replica check on two workers that are threads of this process ({@link InProcessGroup}), each with its own
 * backend (a backend is used by one thread: its record of live tensors is not synchronised) and copy of a small
 * network (factored Z-loss output, Adam, so the state holds the optimizer's slots and step counts): a
 * worker whose output-layer counter, one bit of one array, or the caller's host state differs is found and given rank
 * 0's, once; identical workers are left alone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplicaCheckTest {
    static final int VOCAB = 40;
    static final int LOCAL_BATCH = 4;
    static final int RANKS = 2;

    private final Backend[] backends = new Backend[RANKS];

    @BeforeAll
    void open() {
        for (int r = 0; r < RANKS; r++) {
            backends[r] = BackendDiscovery.discover().create("nd4j");
        }
    }

    @AfterAll
    void close() {
        for (Backend b : backends) {
            b.close();
        }
    }

    /** What one rank reports after its checks. */
    record Outcome(boolean first, boolean second, long resyncs, long counter, Map<String, int[]> state) {
    }

    /** The work of one rank on its model and step. */
    @FunctionalInterface
    interface RankWork<T> {
        T run(int rank, NgramLanguageModel model, DataParallelStep dp);
    }

    @Test
    void identicalWorkersAreLeftAlone() throws Exception {
        List<Outcome> out = onEveryRank((rank, model, dp) -> {
            model.output().restoreCounter(12);
            return outcome(model, dp, dp.checkReplicas(), dp.checkReplicas());
        });
        for (Outcome o : out) {
            assertFalse(o.first());
            assertFalse(o.second());
            assertEquals(0, o.resyncs());
            assertEquals(12, o.counter());
        }
    }

    @Test
    void aWorkerWithAnotherOutputCounterIsFoundAndTakesRankZeros() throws Exception {
        List<Outcome> out = onEveryRank((rank, model, dp) -> {
            model.output().restoreCounter(rank == 0 ? 41 : 7);
            return outcome(model, dp, dp.checkReplicas(), dp.checkReplicas());
        });
        for (Outcome o : out) {
            assertTrue(o.first(), "the differing counter was not found");
            assertFalse(o.second(), "the second check found a difference again");
            assertEquals(1, o.resyncs());
            assertEquals(41, o.counter(), "the counter is not rank 0's");
        }
        assertStatesEqual(out);
    }

    @Test
    void aFlippedBitInOneArrayIsFoundAndRepairedFromRankZero() throws Exception {
        List<int[]> flipped = new ArrayList<>();
        List<Outcome> out = onEveryRank((rank, model, dp) -> {
            Backend b = model.backend();
            Tensor w = model.state().get("hidden1.W");
            float[] v = b.toHost(w);
            int original = Float.floatToRawIntBits(v[3]);
            if (rank == 1) {
                v[3] = Float.intBitsToFloat(original ^ 1);
                b.upload(v, w);
            }
            Outcome o = outcome(model, dp, dp.checkReplicas(), dp.checkReplicas());
            synchronized (flipped) {
                flipped.add(new int[] {rank, original, Float.floatToRawIntBits(b.toHost(w)[3])});
            }
            return o;
        });
        for (Outcome o : out) {
            assertTrue(o.first(), "the flipped bit was not found");
            assertFalse(o.second(), "the second check found a difference again");
            assertEquals(1, o.resyncs());
        }
        for (int[] f : flipped) {
            assertEquals(f[1], f[2], "rank " + f[0] + " does not hold the unflipped value");
        }
        assertStatesEqual(out);
    }

    @Test
    void theCallersHostStateIsComparedExactlyAndRankZerosReturned() throws Exception {
        List<List<Long>> out = onEveryRank((rank, model, dp) -> {
            HostState mine = new HostState(List.of("epoch", "step"),
                    List.of(rank == 0 ? 3L : 1L, rank == 0 ? 5_000_000_007L : -1L));
            HostState agreed = dp.checkReplicas(mine);
            long afterFirst = dp.resyncs();
            HostState again = dp.checkReplicas(agreed);
            return List.of(agreed.get("epoch"), agreed.get("step"), again.get("epoch"), again.get("step"),
                    afterFirst, dp.resyncs());
        });
        for (List<Long> o : out) {
            assertEquals(List.of(3L, 5_000_000_007L, 3L, 5_000_000_007L, 1L, 1L), o);
        }
    }

    @Test
    void valuesThatDifferOnlyInTheirHighHalfAreFound() throws Exception {
        List<List<Long>> out = onEveryRank((rank, model, dp) -> {
            HostState mine = new HostState(List.of("step"), List.of(rank == 0 ? 1L << 32 : 0L));
            return List.of(dp.checkReplicas(mine).get("step"), dp.resyncs());
        });
        for (List<Long> o : out) {
            assertEquals(List.of(1L << 32, 1L), o);
        }
    }

    private static Outcome outcome(NgramLanguageModel model, DataParallelStep dp, boolean first, boolean second) {
        Map<String, int[]> bits = new TreeMap<>();
        for (Map.Entry<String, Tensor> e : model.state().entrySet()) {
            float[] v = model.backend().toHost(e.getValue());
            int[] raw = new int[v.length];
            for (int i = 0; i < v.length; i++) {
                raw[i] = Float.floatToRawIntBits(v[i]);
            }
            bits.put(e.getKey(), raw);
        }
        return new Outcome(first, second, dp.resyncs(), model.output().counter(), bits);
    }

    private static void assertStatesEqual(List<Outcome> out) {
        Map<String, int[]> zero = out.get(0).state();
        assertTrue(zero.keySet().stream().anyMatch(k -> k.startsWith("optimizer.")), zero.keySet().toString());
        for (int r = 1; r < out.size(); r++) {
            Map<String, int[]> other = out.get(r).state();
            assertEquals(zero.keySet(), other.keySet());
            for (String k : zero.keySet()) {
                assertArrayEquals(zero.get(k), other.get(k), "rank " + r + " differs from rank 0 in " + k);
            }
        }
    }

    /** Runs {@code work} on every rank, each a thread with its own model and data-parallel step; results by rank. */
    private <T> List<T> onEveryRank(RankWork<T> work) throws Exception {
        InProcessGroup group = new InProcessGroup(RANKS);
        Object building = new Object();
        ExecutorService pool = Executors.newFixedThreadPool(RANKS);
        try {
            List<Future<T>> running = new ArrayList<>();
            for (int r = 0; r < RANKS; r++) {
                int rank = r;
                running.add(pool.submit(() -> {
                    NgramLanguageModel model;
                    synchronized (building) {       // one model at a time (each from the same seed: the same bits)
                        model = model(backends[rank]);
                    }
                    try (model; DataParallelStep dp = new DataParallelStep(model, group.member(rank), LOCAL_BATCH)) {
                        return work.run(rank, model, dp);
                    }
                }));
            }
            List<T> out = new ArrayList<>();
            for (Future<T> f : running) {
                out.add(f.get(3, TimeUnit.MINUTES));
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    private static NgramLanguageModel model(Backend b) {
        ModelConfig cfg = ModelConfig.builder().context(2).embedding(6).hidden(List.of(12, 10)).seed(5)
                .output(OutputKind.FACTORED).loss("z-loss", Map.of()).build();
        return new NgramLanguageModel(b, cfg, vocabulary(), LossRegistry.discover().create(cfg.loss(), cfg.lossParams()),
                OptimizerRegistry.discover().create("adam", Map.of()),
                DataParallelStep.modelBatch(cfg.output(), LOCAL_BATCH, RANKS));
    }

    private static Vocabulary vocabulary() {
        List<String> words = new ArrayList<>();
        long[] counts = new long[VOCAB];
        for (int i = 0; i < VOCAB; i++) {
            words.add(i == 0 ? "</s>" : i == 1 ? "<unk>" : "w" + i);
            counts[i] = VOCAB - i;
        }
        return new Vocabulary(words, counts);
    }
}
