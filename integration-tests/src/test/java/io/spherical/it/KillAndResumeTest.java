package io.spherical.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.training.SyntheticCorpus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipFile;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training process killed with SIGKILL at five different moments (each after it has written a few more
 * checkpoints, plus a small varied delay), then resumed with {@code --resume} each time,
 * ends with parameters equal (bit for bit) to an uninterrupted run with the same seed; for the factored layer, the
 * sampled softmax (whose sampler must continue where it stopped) and the adaptive softmax.
 */
class KillAndResumeTest {

    private static List<String> command(Path corpus, Path out, boolean resume, String output) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "io.spherical.cli.Main", "train", "--corpus",
                corpus.toString(), "--out", out.toString(), "--epochs", "6", "--context", "2", "--embedding", "8",
                "--hidden", "16", "--batch", "50", "--min-count", "1", "--checkpoint-every", "7", "--seed", "11",
                "--optimizer", "momentum", "--output", output));
        if (output.equals("sampled")) {
            cmd.addAll(List.of("--samples", "16"));
        }
        if (output.equals("adaptive")) {
            cmd.addAll(List.of("--cutoffs", "10,50"));
        }
        if (resume) {
            cmd.add("--resume");
        }
        return cmd;
    }

    private static Process start(List<String> cmd, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        return pb.start();
    }

    private static Map<String, String> arrayChecksums(Path zip) throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (ZipFile z = new ZipFile(zip.toFile())) {
            var manifest = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                    z.getInputStream(z.getEntry("manifest.json")));
            manifest.get("checksums").fields().forEachRemaining(e -> {
                if (e.getKey().startsWith("arrays/")) {
                    out.put(e.getKey(), e.getValue().asText());
                }
            });
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"factored", "sampled", "adaptive"})
    void fiveKillsThenResumeEqualsAnUninterruptedRun(String output, @TempDir Path tmp) throws Exception {
        Path corpus = SyntheticCorpus.write(tmp.resolve("corpus"), 100, 1500, 5);
        Path reference = tmp.resolve("reference");
        Process ref = start(command(corpus, reference, false, output), tmp.resolve("reference.log"));
        assertTrue(ref.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, ref.exitValue(), Files.readString(tmp.resolve("reference.log")));

        Path run = tmp.resolve("killed");
        Path ckpt = run.resolve("checkpoint.zip");
        // kill after the run has written a few more checkpoints (not after a fixed time: a fast machine would
        // finish first), at varied offsets so that kills land mid-step and mid-write
        long[] extraDelayMs = {0, 37, 113, 5, 71};
        int kills = 0;
        for (long extra : extraDelayMs) {
            boolean resume = Files.exists(ckpt);
            Process p = start(command(corpus, run, resume, output), tmp.resolve("kill" + kills + ".log"));
            long seen = Files.exists(ckpt) ? Files.getLastModifiedTime(ckpt).toMillis() : -1;
            int writes = 0;
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (writes < 4 && p.isAlive() && System.nanoTime() < deadline) {
                Thread.sleep(10);
                long now = Files.exists(ckpt) ? Files.getLastModifiedTime(ckpt).toMillis() : -1;
                if (now != seen) {
                    seen = now;
                    writes++;
                }
            }
            if (!p.isAlive()) {
                break; // finished before the kill: nothing left to interrupt
            }
            Thread.sleep(extra);
            p.destroyForcibly(); // SIGKILL
            p.waitFor();
            kills++;
        }
        assertEquals(5, kills, "the run must have been killed five times");
        Process last = start(command(corpus, run, Files.exists(ckpt), output), tmp.resolve("last.log"));
        assertTrue(last.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, last.exitValue(), Files.readString(tmp.resolve("last.log")));
        Map<String, String> expected = arrayChecksums(reference.resolve("checkpoint.zip"));
        assertTrue(expected.size() >= 6, expected.toString());
        assertEquals(expected, arrayChecksums(ckpt), "parameters after " + kills + " kills and resumes");
    }

    @org.junit.jupiter.api.Test
    void sigtermWritesACheckpointAndExitsAsInterruptedAndTheResumedRunEqualsAnUninterruptedOne(@TempDir Path tmp)
            throws Exception {
        Path corpus = SyntheticCorpus.write(tmp.resolve("corpus"), 100, 1500, 5);
        Path reference = tmp.resolve("reference");
        Process ref = start(command(corpus, reference, false, "factored"), tmp.resolve("reference.log"));
        assertTrue(ref.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, ref.exitValue(), Files.readString(tmp.resolve("reference.log")));

        Path run = tmp.resolve("terminated");
        Path ckpt = run.resolve("checkpoint.zip");
        Process p = start(command(corpus, run, false, "factored"), tmp.resolve("term.log"));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (!Files.exists(ckpt) && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(p.isAlive(), "the run must still be training when SIGTERM is sent");
        p.destroy(); // SIGTERM
        assertTrue(p.waitFor(1, TimeUnit.MINUTES));
        String log = Files.readString(tmp.resolve("term.log"));
        assertEquals(130, p.exitValue(), log);
        assertTrue(log.contains("SIGTERM received") && log.contains("--resume"), log);
        Process last = start(command(corpus, run, true, "factored"), tmp.resolve("last.log"));
        assertTrue(last.waitFor(5, TimeUnit.MINUTES));
        assertEquals(0, last.exitValue(), Files.readString(tmp.resolve("last.log")));
        assertEquals(arrayChecksums(reference.resolve("checkpoint.zip")), arrayChecksums(ckpt));
    }
}
