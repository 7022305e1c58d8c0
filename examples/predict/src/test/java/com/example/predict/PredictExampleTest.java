package com.example.predict;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.optim.OptimizerRegistry;
import io.spherical.training.SyntheticCorpus;
import io.spherical.training.Trainer;
import io.spherical.training.TrainingConfig;
import io.spherical.training.TrainingListener;
import io.spherical.training.data.LineCorpus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's example, compiled by the build and run on a small run trained here. */
class PredictExampleTest {
    @Test
    void theExamplePrintsFiveWordsAfterTheContext(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        try (Backend b = BackendDiscovery.discover().create("nd4j")) {
            new Trainer(b, LossRegistry.discover(), OptimizerRegistry.discover()).train(
                    new LineCorpus(SyntheticCorpus.write(tmp.resolve("corpus"), 60, 500, 2)),
                    ModelConfig.builder().context(2).embedding(8).hidden(List.of(16)).build(),
                    TrainingConfig.builder().epochs(1).batch(50).minCount(1).build(), run, false,
                    new TrainingListener() { }, new AtomicBoolean());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            PredictExample.main(new String[] {run.toString(), "w1 w2"});
        } finally {
            System.setOut(old);
        }
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals("After \"w1 w2\":", lines.get(0));
        assertTrue(lines.subList(1, 6).stream().allMatch(l -> l.matches("  \\S+ +score +-?[0-9.]+")), lines.toString());
        assertTrue(lines.get(6).startsWith("2 contexts answered"), lines.toString());
    }
}
