package io.spherical.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.training.SyntheticCorpus;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code train --workers 2 --batch m} (two local processes, Gloo on loopback) ends an epoch with the parameters of
 * {@code train --batch 2m} in one process, to float32 rounding, for the factored Z-loss and for log-softmax.
 */
class WorkersTest {
    /** Relative to each array's largest magnitude; a missing or doubled gradient sum moves parameters by 1e-2. */
    static final double TOLERANCE = 1e-4;

    @Test
    void twoLocalWorkersTrainLikeOneProcessWithTheWholeMinibatch(@TempDir Path tmp) throws IOException {
        Path corpus = SyntheticCorpus.write(tmp.resolve("corpus"), 80, 800, 4);
        for (String output : new String[] {"factored", "softmax"}) {
            String[] common = {"train", "--corpus", corpus.toString(), "--context", "2", "--embedding", "8", "--hidden",
                "16", "--epochs", "1", "--max-train", "800", "--min-count", "1", "--seed", "3", "--lr", "0.5", "--schedule", "constant",
                "--output", output, "--optimizer", "momentum"};
            Path one = tmp.resolve(output + "-one");
            CliTest.Run a = CliTest.run(concat(common, "--batch", "40", "--out", one.toString()));
            assertEquals(0, a.code(), a.err());
            Path two = tmp.resolve(output + "-two");
            CliTest.Run b = CliTest.run(concat(common, "--batch", "20", "--workers", "2", "--out", two.toString()));
            assertEquals(0, b.code(), b.err() + b.out() + log(two));
            assertTrue(b.out().contains("Started 2 workers"), b.out());
            assertTrue(Files.readString(two.resolve("worker-1.log")).contains("Worker 1 of 2: global minibatch 40"),
                    log(two));
            Map<String, float[]> x = arrays(one.resolve("checkpoint.zip"));
            Map<String, float[]> y = arrays(two.resolve("checkpoint.zip"));
            assertEquals(x.keySet(), y.keySet());
            assertTrue(x.size() >= 6, x.keySet().toString());
            for (String k : x.keySet()) {
                double scale = 0;
                double diff = 0;
                for (int i = 0; i < x.get(k).length; i++) {
                    scale = Math.max(scale, Math.abs(x.get(k)[i]));
                    diff = Math.max(diff, Math.abs(x.get(k)[i] - y.get(k)[i]));
                }
                assertTrue(diff <= TOLERANCE * Math.max(scale, 1e-3), output + " " + k + ": " + diff + " of " + scale);
            }
        }
    }

    private static String log(Path dir) throws IOException {
        Path f = dir.resolve("worker-1.log");
        return Files.exists(f) ? Files.readString(f) : "(no worker-1.log)";
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Every float32 array of a checkpoint (.npy entries under arrays/). */
    static Map<String, float[]> arrays(Path zip) throws IOException {
        Map<String, float[]> out = new TreeMap<>();
        try (ZipFile z = new ZipFile(zip.toFile())) {
            for (ZipEntry e : java.util.Collections.list(z.entries())) {
                if (!e.getName().startsWith("arrays/") || !e.getName().endsWith(".npy")) {
                    continue;
                }
                try (InputStream in = z.getInputStream(e)) {
                    ByteBuffer buf = ByteBuffer.wrap(in.readAllBytes()).order(ByteOrder.LITTLE_ENDIAN);
                    int header = 10 + (buf.getShort(8) & 0xffff);
                    float[] v = new float[(buf.limit() - header) / 4];
                    buf.position(header);
                    buf.asFloatBuffer().get(v);
                    out.put(e.getName(), v);
                }
            }
        }
        return out;
    }
}
