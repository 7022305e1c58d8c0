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
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
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

    /**
     * Two workers started the way a cluster would start them ({@code --rank --world-size --master}); worker 1 is killed
     * with SIGKILL after a few checkpoints: worker 0 stops within the timeout with exit status 2 and one line naming
     * the problem and the fix; relaunching both with {@code --resume} ends with exactly the parameters of a run that
     * was never interrupted.
     */
    @Test
    void aKilledWorkerStopsTheOthersAndTheRelaunchResumesToTheSameParameters(@TempDir Path tmp) throws Exception {
        Path corpus = SyntheticCorpus.write(tmp.resolve("corpus"), 80, 4000, 4);
        String[] common = {"train", "--corpus", corpus.toString(), "--context", "2", "--embedding", "8", "--hidden",
            "16", "--epochs", "1", "--max-train", "30000", "--max-eval", "200", "--min-count", "1", "--seed", "3",
            "--lr", "0.5", "--schedule", "constant", "--batch", "10", "--checkpoint-every", "20", "--group-timeout", "30"};
        Path whole = tmp.resolve("whole");
        CliTest.Run a = CliTest.run(concat(common, "--workers", "2", "--out", whole.toString()));
        assertEquals(0, a.code(), a.err() + log(whole));

        Path killed = tmp.resolve("killed");
        Path checkpoint = killed.resolve("checkpoint.zip");
        int port;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort();
        }
        io.spherical.api.Collectives.prepare();
        List<Process> ps = new java.util.ArrayList<>();
        try {
            for (int r = 0; r < 2; r++) {
                List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin",
                        "java").toString(), "-cp", System.getProperty("java.class.path"), Main.class.getName()));
                cmd.addAll(List.of(concat(common, "--out", killed.toString(), "--rank", "" + r, "--world-size", "2",
                        "--master", "127.0.0.1:" + port)));
                ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(tmp.resolve("out" + r).toFile())
                        .redirectError(tmp.resolve("err" + r).toFile());
                pb.environment().put(io.spherical.api.GroupToken.ENV, "the token of this test");
                ps.add(pb.start());
            }
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            java.nio.file.attribute.FileTime first = null;
            int writes = 0;
            while (writes < 3 && System.nanoTime() < deadline && ps.get(0).isAlive()) {   // the first, then two more
                if (Files.exists(checkpoint)) {
                    java.nio.file.attribute.FileTime t = Files.getLastModifiedTime(checkpoint);
                    if (!t.equals(first)) {
                        first = t;
                        writes++;
                    }
                }
                Thread.sleep(2);
            }
            assertTrue(ps.get(0).isAlive(), "the run ended before it could be interrupted: " + Files.readString(tmp.resolve("err0")));
            ps.get(1).destroyForcibly();                                              // SIGKILL
            assertTrue(ps.get(0).waitFor(60, TimeUnit.SECONDS), "worker 0 did not stop");
            assertEquals(2, ps.get(0).exitValue(), Files.readString(tmp.resolve("err0")));
        } finally {
            ps.forEach(Process::destroyForcibly);
        }
        List<String> lines = Files.readAllLines(tmp.resolve("err0")).stream().filter(l -> l.startsWith("spherical:"))
                .toList();
        assertEquals(1, lines.size(), Files.readString(tmp.resolve("err0")));
        assertTrue(lines.get(0).contains("another worker has stopped") && lines.get(0).contains("--resume"), lines.get(0));

        CliTest.Run c = CliTest.run(concat(common, "--workers", "2", "--resume", "--out", killed.toString()));
        assertEquals(0, c.code(), c.err() + log(killed));
        String resumed = log(killed);                     // worker 1's output (worker 0's goes to this JVM's console)
        java.util.regex.Matcher step = java.util.regex.Pattern.compile("Resuming from .* step (\\d+)").matcher(resumed);
        assertTrue(step.find() && Integer.parseInt(step.group(1)) >= 40, resumed);
        Map<String, float[]> x = arrays(whole.resolve("checkpoint.zip"));
        Map<String, float[]> y = arrays(checkpoint);
        assertEquals(x.keySet(), y.keySet());
        for (String k : x.keySet()) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(x.get(k), y.get(k), 0f, k);
        }
    }

    /**
     * {@code bench distributed} counts what the collectives move: the factored layer's bytes per worker per step are
     * the all-gathered hidden rows and targets, (N - 1) m (h + 1) 4 bytes, the same at every D; log-softmax's are the
     * ring all-reduce of its D x (h + 1) weights, 2 (N - 1) / N of them (and 4 bytes of loss), growing with D.
     */
    @Test
    void benchDistributedCountsTheBytesEachWorkerSends() {
        CliTest.Run r = CliTest.run("bench", "distributed", "--workers", "1,2", "--layers", "factored-z,softmax",
                "--vocab", "300,600", "--preset", "brown", "--batch", "8", "--warmup", "0", "--iterations", "1",
                "--format", "csv");
        assertEquals(0, r.code(), r.err());
        Map<String, double[]> rows = new TreeMap<>();
        for (String line : r.out().strip().split("\n")) {
            String[] f = line.split(",");
            if (!f[0].equals("layer")) {
                rows.put(f[0] + "/" + f[1] + "/" + f[2], new double[] {Double.parseDouble(f[7]), Double.parseDouble(f[8])});
            }
        }
        assertEquals(8, rows.size(), r.out());
        int h = 256;                                          // the brown preset's last hidden width
        for (int d : new int[] {300, 600}) {
            assertEquals(0, rows.get("factored-z/" + d + "/1")[0], r.out());
            assertEquals(8.0 * (h + 1) * 4, rows.get("factored-z/" + d + "/2")[1], r.out());
            assertEquals(d * (h + 1) * 4.0 + 4, rows.get("softmax/" + d + "/2")[1], r.out());
            assertTrue(rows.get("softmax/" + d + "/2")[0] > rows.get("softmax/" + d + "/2")[1], r.out());
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
