package io.spherical.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.contracts.AllContracts;
import io.spherical.training.data.LineCorpus;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.lm.OutputKind;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.optim.OptimizerRegistry;
import io.spherical.training.Metrics;
import io.spherical.training.SyntheticCorpus;
import io.spherical.training.Trainer;
import io.spherical.training.TrainingConfig;
import io.spherical.training.TrainingListener;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same suites once per backend, each surefire execution holding that backend only: every contract through
 * {@link AllContracts} (the operations, the factored layer against its float64 reference, the normalised and the
 * sampled and adaptive outputs), and a training smoke test.
 */
@Tag("nd4j-only")
@Tag("opencl-only")
class SoleBackendSuitesTest extends AllContracts {

    @Override
    protected Backend createBackend() {
        return SoleBackend.create();
    }

    @Test
    void trainingSmokeTest(@TempDir Path tmp) throws Exception {
        try (Backend b = SoleBackend.create()) {
            LineCorpus corpus = new LineCorpus(SyntheticCorpus.write(tmp.resolve("c"), 80, 800, 4));
            ModelConfig mc = ModelConfig.builder().context(2).embedding(8).hidden(List.of(16)).output(OutputKind.FACTORED)
                    .stabilisePeriod(50).unfactorPeriod(500).build();
            TrainingConfig tc = TrainingConfig.builder().epochs(2).batch(50).patience(0).minCount(1).build();
            Trainer.Result r = new Trainer(b, LossRegistry.discover(), OptimizerRegistry.discover())
                    .train(corpus, mc, tc, tmp.resolve("run"), false, new TrainingListener() { }, new AtomicBoolean());
            Metrics last = r.history().get(r.history().size() - 1).metrics();
            System.out.printf("smoke on %s: validation top-10 error %.3f%n", b.name(), last.topKError().get(10));
            assertTrue(last.topKError().get(10) < 0.5, "the model learned the chain on " + b.name() + ": " + last);
        }
    }
}
