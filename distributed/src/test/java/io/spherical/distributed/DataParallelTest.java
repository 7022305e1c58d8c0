package io.spherical.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Collective;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Data-parallel training among 2 and 4 real processes (Gloo on loopback) against one process trained on the whole
 * minibatch: after the steps, every worker holds the same parameters bit for bit, and they equal the single
 * process's to float32 rounding (tolerance below), for the four spherical losses on the factored layer and for
 * log-softmax; embeddings, hidden layers, the output layer's state and the momentum optimizer's slots included.
 */
class DataParallelTest {
    /**
     * Largest difference allowed, relative to the largest magnitude of the array: the workers sum their hidden layers'
     * gradients in a different order than one process does (and multiply m rows instead of N m), so the parameters
     * differ by float32 rounding: at most 7e-7 of the array's largest magnitude was seen after 4 steps (a missing
     * all-reduce or a wrong 1 / (N m) changes them by 1e-2 and more).
     */
    static final double TOLERANCE = 5e-6;
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
     * Rank 1 changes one embedding weight halfway; the replica check finds it and copies rank 0's state to every rank
     * (the worker fails otherwise), so the run ends as if nothing had happened: identical ranks, equal to one process.
     */
    @ParameterizedTest
    @CsvSource({"z-loss,2", "log-softmax,4"})
    void aReplicaThatDriftsIsResynchronisedFromRankZero(String loss, int size, @TempDir Path dir) throws Exception {
        trainAndCompare(loss, size, dir, "drift");
    }

    private static void trainAndCompare(String loss, int size, Path dir, String mode) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        List<Process> ps = new ArrayList<>();
        try {
            for (int r = 0; r < size; r++) {
                ps.add(new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                        System.getProperty("java.class.path"), DataParallelWorker.class.getName(), "" + r, "" + size,
                        "" + port, loss, "" + LOCAL_BATCH, "" + STEPS, dir.resolve("rank" + r + ".bin").toString(), mode)
                        .redirectErrorStream(true).redirectOutput(dir.resolve("rank" + r + ".log").toFile()).start());
            }
            for (int r = 0; r < size; r++) {
                assertTrue(ps.get(r).waitFor(3, TimeUnit.MINUTES), "worker " + r + " did not finish");
                assertEquals(0, ps.get(r).exitValue(), Files.readString(dir.resolve("rank" + r + ".log")));
            }
        } finally {
            ps.forEach(Process::destroyForcibly);
        }
        Map<String, float[]> rank0 = read(dir.resolve("rank0.bin"));
        for (int r = 1; r < size; r++) {
            Map<String, float[]> other = read(dir.resolve("rank" + r + ".bin"));
            assertEquals(rank0.keySet(), other.keySet());
            for (String k : rank0.keySet()) {
                assertArrayEquals(rank0.get(k), other.get(k), 0f, "rank " + r + " differs from rank 0 in " + k);
            }
        }
        Map<String, float[]> single;
        try (Backend b = BackendDiscovery.discover().create("nd4j")) {
            single = DataParallelWorker.train(b, Collective.single(), loss, size * LOCAL_BATCH, STEPS);
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
        }
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
