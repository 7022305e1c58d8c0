package io.spherical.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.models.lm.ModelConfig;
import io.spherical.models.lm.OutputKind;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The default learning rate by vocabulary size: the protocol's selections, and the boundary between them. */
class DefaultRatesTest {
    private static final ModelConfig BROWN = ModelConfig.brownDefault();

    private static ModelConfig output(OutputKind k) {
        return BROWN.toBuilder().output(k).build();
    }

    @Test
    void theZLossTakesBrownsRateBelowTheGeometricMeanAndTheLargeOneFromIt() {
        assertEquals("z-loss", DefaultRates.kind(BROWN));
        assertEquals(16.0, DefaultRates.rate(BROWN, 13_190, 9), 0);
        assertEquals(16.0, DefaultRates.rate(BROWN, 51_361, 9), 0);     // sqrt(13,190 x 200,002) = 51,361.6
        assertEquals(0.5, DefaultRates.rate(BROWN, 51_362, 9), 0);
        assertEquals(0.5, DefaultRates.rate(BROWN, 200_002, 9), 0);
        assertEquals(0.5, DefaultRates.rate(BROWN, 793_473, 9), 0);
        assertEquals(16.0, DefaultRates.rate(BROWN, 32, 9), 0);
    }

    @Test
    void eachLayerHasItsOwnRateAndAnUnmeasuredOneTheFallback() {
        assertEquals(2.0, DefaultRates.rate(output(OutputKind.SOFTMAX), 13_190, 9), 0);
        assertEquals(2.0, DefaultRates.rate(output(OutputKind.SAMPLED), 200_002, 9), 0);
        assertEquals(2.0, DefaultRates.rate(output(OutputKind.HSM), 13_190, 9), 0);
        assertEquals(4.0, DefaultRates.rate(output(OutputKind.SAMPLED), 13_190, 9), 0);
        assertEquals(2.0, DefaultRates.rate(output(OutputKind.ADAPTIVE), 200_002, 9), 0);
        ModelConfig taylor = BROWN.toBuilder().output(OutputKind.DENSE).loss("log-taylor-softmax", Map.of()).build();
        assertEquals("log-taylor-softmax", DefaultRates.kind(taylor));
        assertEquals(16.0, DefaultRates.rate(taylor, 200_002, 9), 0);
        ModelConfig squared = BROWN.toBuilder().loss("squared-error", Map.of()).build();
        assertEquals(0.025, DefaultRates.rate(squared, 200_002, 9), 0, "measured on Brown only: Brown's rate");
        ModelConfig plugin = BROWN.toBuilder().loss("my-plugin-loss", Map.of()).build();
        assertEquals(9.0, DefaultRates.rate(plugin, 200_002, 9), 0);
    }

    @Test
    void theTableIsWhatTheProtocolSelectedOnBothCorpora() throws IOException {
        checkSelection(Path.of("..", "docs", "protocol", "brown", "selection.csv"), false);
        checkSelection(Path.of("..", "docs", "protocol", "gutenberg-200k", "selection.csv"), true);
        assertTrue(DefaultRates.large(DefaultRates.LARGE_D) && !DefaultRates.large(DefaultRates.BROWN_D));
    }

    private static void checkSelection(Path csv, boolean large) throws IOException {
        List<String> lines = Files.readAllLines(csv);
        List<String> head = List.of(lines.get(0).split(","));
        int kind = head.indexOf("kind");
        int rate = head.indexOf("learning_rate");
        assertTrue(lines.size() > 4, csv + " lists the selected kinds");
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            assertEquals(Double.parseDouble(f[rate]), DefaultRates.tabled(f[kind], large), 0,
                    f[kind] + " in " + csv);
        }
        assertFalse(Double.isNaN(DefaultRates.tabled("z-loss", large)));
    }
}
