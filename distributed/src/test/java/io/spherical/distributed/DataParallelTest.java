package io.spherical.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Collective;
import io.spherical.models.lm.OutputKind;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Data-parallel training among 2 and 4 real processes (Gloo on loopback) against one process trained on the whole
 * minibatch: after the steps, every worker holds the same parameters bit for bit, and they equal the single
 * process's to float32 rounding (tolerance below), for the four spherical losses on the factored layer, log-softmax
 * and the dense Z-loss layer (dense all-reduce), and hierarchical, sampled and adaptive softmax (row exchange);
 * embeddings, hidden layers, the output layer's state and the momentum optimizer's slots included. For the layers
 * exchanged by all-reduce, the change the steps made to each output array is also compared with the single
 * process's ({@link #MOVE_TOLERANCE}), so that a row left out of the exchange is found even where its move is small
 * next to the weights.
 */
class DataParallelTest {
    /**
     * Largest difference allowed, relative to the largest magnitude of the array: the workers sum their hidden layers'
     * gradients in a different order than one process does (and multiply m rows instead of N m), so the parameters
     * differ by float32 rounding: at most 7e-7 of the array's largest magnitude was seen after 4 steps (a missing
     * all-reduce or a wrong 1 / (N m) changes them by 1e-2 and more).
     */
    static final double TOLERANCE = 5e-6;
    /**
     * Largest difference allowed between the change the steps made to an output-layer array on the workers and in the
     * single process, relative to the largest change of that array (element by element): float32 rounding makes them
     * differ by about 2e-7 of the weights, some 1e-5 of the moves (largest moves about 1e-2 for weights of about
     * 0.3); a row that the exchange leaves out keeps the move of this worker's examples alone, so it differs by the
     * other workers' share of its move, which for every row a step touches here (the targets' rows, the sampled
     * negatives, the word blocks of the classes present, the clusters hit) is well above 1e-3 of the largest.
     */
    static final double MOVE_TOLERANCE = 1e-3;
    static final int STEPS = 4;
    static final int LOCAL_BATCH = 5;

    @BeforeAll
    static void unpackTheNativesOnce() {
        GlooProvider.preload();
    }

    @ParameterizedTest
    @CsvSource({"z-loss,2", "z-loss,4", "squared-error,2", "squared-error,4", "log-taylor-softmax,2",
        "log-taylor-softmax,4", "log-spherical-softmax,2", "log-spherical-softmax,4", "log-softmax,2", "log-softmax,4",
        "hsm,2", "hsm,4", "sampled,2", "sampled,4", "adaptive,2", "adaptive,4", "dense-z-loss,2"})
    void workersEndIdenticalAndEqualToOneProcessWithTheWholeMinibatch(String loss, int size, @TempDir Path dir)
            throws Exception {
        trainAndCompare(loss, size, dir, "");
    }

    /**
     * Rank 1 changes one embedding weight halfway, then (the factored layer) its output layer's step counter; the replica
     * check finds each and gives every rank rank 0's (the worker fails otherwise), so the run ends as if nothing had
     * happened: identical ranks, equal to one process.
     */
    @ParameterizedTest
    @CsvSource({"z-loss,2", "log-softmax,4"})
    void aReplicaThatDriftsIsResynchronisedFromRankZero(String loss, int size, @TempDir Path dir) throws Exception {
        trainAndCompare(loss, size, dir, "drift");
    }

    /**
     * A third party with the wrong token connects to rank 0's gate while the group forms (after rank 0 listens, before
     * rank 1 starts): it is refused with the one-line answer, rank 0 logs exactly one refusal line, and the run ends
     * with every parameter bit for bit equal to an undisturbed run of the same workers.
     */
    @Test
    void anIntruderWithTheWrongTokenIsRefusedAndTheRunIsUndisturbed(@TempDir Path dir) throws Exception {
        Path quiet = Files.createDirectories(dir.resolve("quiet"));
        Path intruded = Files.createDirectories(dir.resolve("intruded"));
        train("z-loss", 2, quiet, "", port -> { });
        List<String> answers = new ArrayList<>();
        train("z-loss", 2, intruded, "", port -> {
            try (Socket s = new Socket(AdmissionGate.LOOPBACK, port)) {
                GateHandshake.Refused e = assertThrows(GateHandshake.Refused.class,
                        () -> new GateHandshake("not the group's token".getBytes(StandardCharsets.UTF_8))
                                .join(s, GateHandshake.STORE));
                answers.add(e.reason());
            }
        });
        assertEquals(List.of(GateHandshake.WRONG_TOKEN), answers);
        List<String> refusals = Files.readAllLines(intruded.resolve("rank0.log")).stream()
                .filter(l -> l.startsWith("Refused a connection to the group from ")).toList();
        assertEquals(1, refusals.size(), Files.readString(intruded.resolve("rank0.log")));
        assertTrue(refusals.get(0).matches("Refused a connection to the group from 127\\.0\\.0\\.1:\\d+: wrong group "
                + "token \\(the group continues\\)\\."), refusals.get(0));
        assertTrue(Files.readAllLines(quiet.resolve("rank0.log")).stream().noneMatch(l -> l.startsWith("Refused")));
        for (int r = 0; r < 2; r++) {
            Map<String, float[]> a = read(quiet.resolve("rank" + r + ".bin"));
            Map<String, float[]> b = read(intruded.resolve("rank" + r + ".bin"));
            assertEquals(a.keySet(), b.keySet());
            for (String k : a.keySet()) {
                assertArrayEquals(bits(a.get(k)), bits(b.get(k)), "rank " + r + " " + k + " differs after the intrusion");
            }
        }
    }

    /** Trains {@code size} workers (rank 0 first; {@code before} runs with its port before the others start). */
    private static void train(String loss, int size, Path dir, String mode, LocalGroup.BeforeOthers before)
            throws Exception {
        List<Process> ps = new ArrayList<>();
        try {
            LocalGroup.start(size, dir, DataParallelWorker.class, (r, port) -> List.of("" + r, "" + size, "" + port,
                    loss, "" + LOCAL_BATCH, "" + STEPS, dir.resolve("rank" + r + ".bin").toString(), mode), before, ps);
            for (int r = 0; r < size; r++) {
                assertTrue(ps.get(r).waitFor(3, TimeUnit.MINUTES), "worker " + r + " did not finish");
                assertEquals(0, ps.get(r).exitValue(), Files.readString(dir.resolve("rank" + r + ".log")));
            }
        } finally {
            ps.forEach(Process::destroyForcibly);
        }
    }

    private static int[] bits(float[] v) {
        int[] out = new int[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = Float.floatToRawIntBits(v[i]);
        }
        return out;
    }

    private static void trainAndCompare(String loss, int size, Path dir, String mode) throws Exception {
        train(loss, size, dir, mode, port -> { });
        Map<String, float[]> rank0 = read(dir.resolve("rank0.bin"));
        for (int r = 1; r < size; r++) {
            Map<String, float[]> other = read(dir.resolve("rank" + r + ".bin"));
            assertEquals(rank0.keySet(), other.keySet());
            for (String k : rank0.keySet()) {
                assertArrayEquals(rank0.get(k), other.get(k), 0f, "rank " + r + " differs from rank 0 in " + k);
            }
        }
        Map<String, float[]> single;
        Map<String, float[]> initial;
        try (Backend b = BackendDiscovery.discover().create("nd4j")) {
            single = DataParallelWorker.train(b, Collective.single(), loss, size * LOCAL_BATCH, STEPS);
            initial = DataParallelWorker.train(b, Collective.single(), loss, size * LOCAL_BATCH, 0);
        }
        assertEquals(single.keySet(), rank0.keySet());
        assertTrue(single.size() >= 8, single.keySet().toString());
        for (String k : single.keySet()) {
            float[] a = single.get(k);
            float[] w = rank0.get(k);
            double scale = 0;
            double diff = 0;
            double moved = 0;
            for (int i = 0; i < a.length; i++) {
                scale = Math.max(scale, Math.abs(a[i]));
                diff = Math.max(diff, Math.abs(a[i] - w[i]));
            }
            assertTrue(diff <= TOLERANCE * Math.max(scale, 1e-3), loss + " x" + size + ": " + k + " differs by " + diff
                    + " at scale " + scale);
            if (k.startsWith("output.") && DataParallelWorker.config(loss).output() != OutputKind.FACTORED) {
                assertSameMoves(loss + " x" + size + ": " + k, initial.get(k), a, w);
            }
        }
    }

    /**
     * The change from {@code initial} to {@code single} and to {@code workers} agree element by element within
     * {@link #MOVE_TOLERANCE} of the largest change (and exactly where nothing moved).
     */
    static void assertSameMoves(String what, float[] initial, float[] single, float[] workers) {
        double largest = 0;
        double diff = 0;
        int worst = -1;
        for (int i = 0; i < initial.length; i++) {
            largest = Math.max(largest, Math.abs((double) single[i] - initial[i]));
            double e = Math.abs(((double) single[i] - initial[i]) - ((double) workers[i] - initial[i]));
            if (e > diff) {
                diff = e;
                worst = i;
            }
        }
        assertTrue(diff <= MOVE_TOLERANCE * largest, what + ": the workers' change differs from one process's by "
                + diff + " at element " + worst + ", the largest change is " + largest);
    }

    static Map<String, float[]> read(Path file) throws IOException {
        Map<String, float[]> out = new TreeMap<>();
        try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
            int n = in.readInt();
            for (int j = 0; j < n; j++) {
                String k = in.readUTF();
                float[] v = new float[in.readInt()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = in.readFloat();
                }
                out.put(k, v);
            }
        }
        return out;
    }
}
