package io.spherical.benchmarks;

import io.spherical.api.Backend;
import io.spherical.api.UserException;
import io.spherical.models.lm.Vocabulary;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.lm.NgramLanguageModel;
import io.spherical.models.lm.OutputKind;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.optim.OptimizerRegistry;
import io.spherical.models.output.FactoredSphericalOutput;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One full training step of the whole n-gram network (embeddings, hidden layers, output layer, all updates) of a
 * preset, for a given output layer; {@code none} runs the network with a zero gradient at the top (the floor). For the
 * factored layer its periodic maintenance is amortised into every step (see {@link ForcedMaintenance}).
 */
public final class NetworkBench {
    private NetworkBench() {
    }

    /** Times the network of {@code preset} ({@code 1bw} or {@code brown}) with output {@code layer} at vocabulary D. */
    public static BenchResult run(Backend b, String preset, String layer, int vocab, int batch, int warmup, int iterations) {
        ModelConfig mc = config(preset, layer);
        Vocabulary v = vocabulary(vocab);
        long baseBytes = Math.max(0, b.allocatedBytes());
        long[] peak = {baseBytes};
        Random r = new Random(3);
        int[] ctx = new int[batch * mc.context()];
        int[] t = new int[batch];
        try (NgramLanguageModel m = new NgramLanguageModel(b, mc, v, LossRegistry.discover().create("z-loss", Map.of()),
                OptimizerRegistry.discover().create("sgd", Map.of()), batch)) {
            StepTimer.sample(b, peak);
            double[] ms = StepTimer.time(b, warmup, iterations, () -> {
                LayerBench.targets(r, vocab, ctx);
                LayerBench.targets(r, vocab, t);
                if (layer.equals("none")) {
                    m.trainStepWithoutOutput(ctx, batch, 1e-3f);
                } else {
                    m.trainStep(ctx, t, batch, 1e-3f);
                }
            }, peak);
            // the factored layer's maintenance runs every 100 / 1,000 / 10,000 steps, never inside a few timed steps:
            // timed apart (stabilisation forced to do its most) and added to every step
            double amortised = !layer.equals("none") && m.output() instanceof FactoredSphericalOutput f
                    ? ForcedMaintenance.amortisedMs(b, f, peak, "network/" + layer + " D=" + vocab) : 0;
            for (int i = 0; i < ms.length; i++) {
                ms[i] += amortised;
            }
            double med = StepTimer.median(ms);
            double peakMb = b.allocatedBytes() < 0 ? Double.NaN : (peak[0] - baseBytes) / (double) (1 << 20);
            int d = mc.topWidth() + 1;
            return new BenchResult("network/" + layer, vocab, d, batch, med, ms[0], ms[ms.length - 1],
                    batch / med * 1000, Double.NaN, peakMb);
        }
    }

    /** The network of {@code preset} ({@code 1bw} or {@code brown}) with the output layer a benchmark names. */
    public static ModelConfig config(String preset, String layer) {
        ModelConfig base = switch (preset) {
            case "1bw" -> ModelConfig.oneBillionWord();
            case "brown" -> ModelConfig.brownDefault();
            default -> throw new UserException("--preset must be 1bw or brown, got '" + preset + "'.");
        };
        OutputKind kind = switch (layer) {
            case "factored-z", "none" -> OutputKind.FACTORED;
            case "dense-z" -> OutputKind.DENSE;
            case "softmax" -> OutputKind.SOFTMAX;
            case "hsm" -> OutputKind.HSM;
            case "sampled" -> OutputKind.SAMPLED;
            case "adaptive" -> OutputKind.ADAPTIVE;
            default -> throw new UserException("Unknown layer '" + layer + "'. Fix: use factored-z, dense-z, softmax, hsm,"
                    + " sampled, adaptive or none.");
        };
        return base.toBuilder().output(kind).loss("z-loss", Map.of()).build();
    }

    /** A vocabulary of D words with Zipf counts. */
    public static Vocabulary vocabulary(int vocab) {
        List<String> words = new ArrayList<>(vocab);
        words.add(Vocabulary.EOS);
        words.add(Vocabulary.UNK);
        for (int i = 2; i < vocab; i++) {
            words.add("w" + i);
        }
        return new Vocabulary(words, LayerBench.zipfCounts(vocab));
    }
}
