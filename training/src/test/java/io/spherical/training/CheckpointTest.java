package io.spherical.training;

import io.spherical.training.checkpoint.Checkpoint;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Tensor;
import io.spherical.models.lm.Vocabulary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Round trip, and a write that fails half-way leaves the previous checkpoint byte for byte intact. */
class CheckpointTest {

    @Test
    void roundTripAndFailedWriteKeepsThePreviousCheckpoint(@TempDir Path dir) throws Exception {
        try (Backend b = BackendDiscovery.discover().create("nd4j")) {
            Vocabulary v = new Vocabulary(List.of(Vocabulary.EOS, Vocabulary.UNK, "a"), new long[] {3, 1, 2});
            Tensor x = b.fromHost(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
            Path file = dir.resolve("checkpoint.zip");
            Map<String, Tensor> arrays = new LinkedHashMap<>();
            arrays.put("x", x);
            Checkpoint.write(file, Checkpoint.JSON.createObjectNode().put("note", "first"), v, arrays, b);
            byte[] before = Files.readAllBytes(file);
            Tensor y = b.zeros(2, 3);
            Checkpoint.read(file).restore(Map.of("x", y), b);
            assertArrayEquals(b.toHost(x), b.toHost(y));

            Tensor broken = b.zeros(4, 4);
            broken.close(); // reading it fails half-way through the write
            Map<String, Tensor> bad = new LinkedHashMap<>(arrays);
            bad.put("z", broken);
            assertThrows(IllegalStateException.class,
                    () -> Checkpoint.write(file, Checkpoint.JSON.createObjectNode(), v, bad, b));
            assertArrayEquals(before, Files.readAllBytes(file), "the previous checkpoint must be intact");
            try (var files = Files.list(dir)) {
                assertTrue(files.noneMatch(p -> p.toString().endsWith(".tmp")), "no temporary file left behind");
            }
            // parameters that are not finite never replace the last good checkpoint
            Map<String, Tensor> diverged = new LinkedHashMap<>();
            diverged.put("x", b.fromHost(new float[] {1, 2, Float.NaN, 4, Float.POSITIVE_INFINITY, 6}, 2, 3));
            io.spherical.models.output.DivergenceException e = assertThrows(
                    io.spherical.models.output.DivergenceException.class,
                    () -> Checkpoint.write(file, Checkpoint.JSON.createObjectNode(), v, diverged, b));
            assertTrue(e.getMessage().contains("not finite") && e.getMessage().contains("was not replaced"), e.getMessage());
            assertArrayEquals(before, Files.readAllBytes(file), "the last good checkpoint must be intact");
        }
    }
}
