package io.spherical.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.spherical.api.UserException;
import io.spherical.models.loss.LossRegistry;
import io.spherical.training.checkpoint.Checkpoint;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The plugin a run records for its loss, read back: old runs, a missing plugin, another jar of the same loss. */
class LossPluginRecordTest {
    private static final LossRegistry LOSSES = LossRegistry.discover();

    @Test
    void aBuiltInLossRecordsNoPluginAndARunWithoutTheFieldLoadsAsBefore() throws Exception {
        assertEquals(Optional.empty(), LossPlugin.of(LOSSES.create("z-loss", Map.of())));
        JsonNode old = Checkpoint.JSON.readTree("{\"loss\": {\"name\": \"z-loss\", \"values\": {\"a\": 1.0}}}");
        assertEquals(Optional.empty(), LossPlugin.recorded(old));
        assertEquals(Optional.empty(), LossPlugin.requireLoaded(old, LOSSES));
    }

    @Test
    void aRecordedPluginThatIsNotLoadedIsRefusedInOneLineNamingTheLossAndTheJar() throws Exception {
        LossPlugin p = new LossPlugin("far-away-loss", "far-away-1.0.jar", "ab12");
        JsonNode record = Checkpoint.JSON.createObjectNode().set(LossPlugin.FIELD, p.toJson());
        assertEquals(Optional.of(p), LossPlugin.recorded(record));
        UserException e = assertThrows(UserException.class, () -> LossPlugin.requireLoaded(record, LOSSES));
        assertEquals("The run's loss 'far-away-loss' comes from the plugin jar far-away-1.0.jar (sha256 ab12), which is "
                + "not loaded. Fix: pass --plugins DIR (or set SPHERICAL_PLUGINS) with that jar.", e.getMessage());
    }

    @Test
    void aLossOfTheRecordedNameFromElsewhereIsUsedWithAWarning() throws Exception {
        JsonNode record = Checkpoint.JSON.createObjectNode().set(LossPlugin.FIELD,
                new LossPlugin("z-loss", "z-plugin.jar", "ab12").toJson());
        String warning = LossPlugin.requireLoaded(record, LOSSES).orElseThrow();
        assertTrue(warning.contains("'z-loss'") && warning.contains("z-plugin.jar (sha256 ab12)")
                && !warning.contains("\n"), warning);
    }

    @Test
    void theChecksumIsTheFilesSha256(@TempDir Path tmp) throws Exception {
        Path f = Files.write(tmp.resolve("abc.jar"), "abc".getBytes(StandardCharsets.US_ASCII));
        assertEquals("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", LossPlugin.sha256(f));
        assertEquals("unreadable", LossPlugin.sha256(tmp.resolve("missing.jar")));
    }
}
