package io.spherical.it;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.models.data.LineCorpus;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.lm.OutputKind;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.optim.OptimizerRegistry;
import io.spherical.models.output.FactoredLayerContract;
import io.spherical.models.output.NormalisedOutputContract;
import io.spherical.models.train.Metrics;
import io.spherical.models.train.SyntheticCorpus;
import io.spherical.models.train.Trainer;
import io.spherical.models.train.TrainingConfig;
import io.spherical.models.train.TrainingListener;
import io.spherical.testkit.BackendContract;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The same suites once per backend, each surefire execution holding that backend only: the backend contract, the
 * factored-layer equivalence against the float64 reference, the log-softmax and hierarchical-softmax checks against
 * float64 finite differences, and a training smoke test.
 */
@Tag("nd4j-only")
@Tag("opencl-only")
class SoleBackendSuitesTest {

    @Nested
    class Contract extends BackendContract {
        @Override
        protected Backend createBackend() {
            return SoleBackend.create();
        }
    }

    @Nested
    class FactoredLayer extends FactoredLayerContract {
        @Override
        protected Backend createBackend() {
            return SoleBackend.create();
        }
    }

    @Nested
    class NormalisedOutputs extends NormalisedOutputContract {
        @Override
        protected Backend createBackend() {
            return SoleBackend.create();
        }
    }

    @Test
    void trainingSmokeTest(@TempDir Path tmp) throws Exception {
        try (Backend b = SoleBackend.create()) {
            LineCorpus corpus = new LineCorpus(SyntheticCorpus.write(tmp.resolve("c"), 80, 800, 4));
            ModelConfig mc = new ModelConfig(2, 8, List.of(16), "relu", OutputKind.FACTORED, "z-loss", Map.of(), 1f, 50,
                    500, 1L);
            TrainingConfig tc = new TrainingConfig(2, 50, 0.5, "constant", "sgd", Map.of(), 0, 1, 0, 0, 0);
            Trainer.Result r = new Trainer(b, LossRegistry.discover(), OptimizerRegistry.discover())
                    .train(corpus, mc, tc, tmp.resolve("run"), false, new TrainingListener() { }, new AtomicBoolean());
            Metrics last = r.history().get(r.history().size() - 1).metrics();
            System.out.printf("smoke on %s: validation top-10 error %.3f%n", b.name(), last.topKError().get(10));
            assertTrue(last.topKError().get(10) < 0.5, "the model learned the chain on " + b.name() + ": " + last);
        }
    }
}
