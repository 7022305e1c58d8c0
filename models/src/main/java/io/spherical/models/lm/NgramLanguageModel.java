package io.spherical.models.lm;

import io.spherical.api.Backend;
import io.spherical.api.Optimizer;
import io.spherical.api.SphericalLoss;
import io.spherical.api.Tensor;
import io.spherical.api.UnaryOp;
import io.spherical.models.lm.Vocabulary;
import io.spherical.models.layers.DenseLayer;
import io.spherical.models.layers.EmbeddingLayer;
import io.spherical.models.output.AdaptiveSoftmaxOutput;
import io.spherical.models.output.DenseSphericalOutput;
import io.spherical.models.output.FactoredConfig;
import io.spherical.models.output.FactoredSphericalOutput;
import io.spherical.models.output.HierarchicalSoftmaxOutput;
import io.spherical.models.output.OutputLayer;
import io.spherical.models.output.SampledSoftmaxOutput;
import io.spherical.models.output.SoftmaxOutput;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The n-gram neural language model: the previous n-1 words -&gt; embeddings (concatenated) -&gt; dense layers -&gt;
 * an output layer. Hidden layers use the optimizer; embeddings take sparse SGD steps; the output layer takes its own
 * SGD step (the factored layer's exact update). One training step allocates nothing on the device.
 */
public final class NgramLanguageModel implements AutoCloseable {
    private final Backend b;
    private final ModelConfig cfg;
    private final int maxBatch;
    private final EmbeddingLayer embedding;
    private final List<DenseLayer> hidden = new ArrayList<>();
    private final OutputLayer output;
    private final Optimizer.Updater updater;
    private final Tensor gradTop;

    /**
     * Builds the model with fresh parameters.
     *
     * @param loss the spherical loss (ignored by softmax and hierarchical softmax outputs)
     */
    public NgramLanguageModel(Backend backend, ModelConfig cfg, Vocabulary vocab, SphericalLoss loss,
                              Optimizer optimizer, int maxBatch) {
        MemoryPlan.of(cfg, vocab.size(), maxBatch, optimizer.name()).check(MemoryPlan.availableBytes(),
                "lower --batch (the factored layer keeps m x m matrices), --hidden or --embedding, or raise --min-count");
        this.b = backend;
        this.cfg = cfg;
        this.maxBatch = maxBatch;
        Random rnd = new Random(cfg.seed());
        this.embedding = new EmbeddingLayer(b, vocab.size(), cfg.embedding(), cfg.context(), maxBatch, rnd);
        UnaryOp act = cfg.activation().op();
        int width = embedding.outputDim();
        for (int i = 0; i < cfg.hidden().size(); i++) {
            hidden.add(new DenseLayer(b, "hidden" + i, width, cfg.hidden().get(i), act, maxBatch, rnd));
            width = cfg.hidden().get(i);
        }
        this.updater = optimizer.updater(b);
        hidden.forEach(l -> l.register(updater));
        int d = width;
        FactoredConfig fc = new FactoredConfig(vocab.size(), d, maxBatch, cfg.biasInput(), cfg.stabilisePeriod(),
                cfg.unfactorPeriod(), 1000, cfg.seed() + 7, cfg.stepBound());
        this.output = switch (cfg.output()) {
            case FACTORED -> new FactoredSphericalOutput(b, fc, loss);
            case DENSE -> new DenseSphericalOutput(b, fc, loss);
            case SOFTMAX -> new SoftmaxOutput(b, vocab.size(), d, maxBatch, cfg.seed() + 7);
            case HSM -> new HierarchicalSoftmaxOutput(b, vocab.counts(), d, maxBatch, cfg.seed() + 7);
            case SAMPLED -> new SampledSoftmaxOutput(b, vocab.size(), d, maxBatch, cfg.seed() + 7,
                    samples(cfg, vocab.size()), true);
            case ADAPTIVE -> new AdaptiveSoftmaxOutput(b, vocab.size(), d, maxBatch, cutoffs(cfg, vocab.size()),
                    cfg.seed() + 7);
        };
        this.gradTop = b.zeros(maxBatch, d);
    }

    /** The sampled softmax's K: as configured (at most D), or its default for D classes. */
    public static int samples(ModelConfig cfg, int classes) {
        return cfg.samples() > 0 ? Math.min(cfg.samples(), classes) : SampledSoftmaxOutput.defaultSamples(classes);
    }

    /** The adaptive softmax's cutoffs: as configured, or their default for D classes. */
    public static int[] cutoffs(ModelConfig cfg, int classes) {
        return cfg.cutoffs().isEmpty() ? AdaptiveSoftmaxOutput.defaultCutoffs(classes) : cfg.cutoffArray();
    }

    /** The configuration. */
    public ModelConfig config() {
        return cfg;
    }

    /** The output layer. */
    public OutputLayer output() {
        return output;
    }

    /** The backend every parameter lives on (for a step built outside the model, such as the data-parallel one). */
    public Backend backend() {
        return b;
    }

    /** The embedding layer. */
    public EmbeddingLayer embedding() {
        return embedding;
    }

    /** The hidden layers, first to last (read-only). */
    public List<DenseLayer> hidden() {
        return Collections.unmodifiableList(hidden);
    }

    /** The updater of the hidden layers' parameters (the optimizer's slots). */
    public Optimizer.Updater updater() {
        return updater;
    }

    /** The model's dL/dH buffer ({@link #maxBatch()} x d), which a training step writes and reads. */
    public Tensor gradTop() {
        return gradTop;
    }

    /** The largest minibatch. */
    public int maxBatch() {
        return maxBatch;
    }

    /** The last hidden activations for m examples whose contexts are {@code ctx} ({@code m * context} ids). */
    public Tensor forward(int[] ctx, int m) {
        Tensor x = embedding.forward(ctx, m);
        for (DenseLayer l : hidden) {
            x = l.forward(x);
        }
        return x;
    }

    /** One SGD step on a minibatch; returns its mean loss (before the update). */
    public double trainStep(int[] ctx, int[] targets, int m, float lr) {
        List<Tensor> inputs = new ArrayList<>(hidden.size());
        Tensor x = embedding.forward(ctx, m);
        for (DenseLayer l : hidden) {
            inputs.add(x);
            x = l.forward(x);
        }
        Tensor g = gradTop.rowRange(0, m);
        double loss = output.step(x, targets, lr, g);
        for (int i = hidden.size() - 1; i >= 0; i--) {
            g = hidden.get(i).backward(inputs.get(i), g, true, updater, lr);
        }
        embedding.backward(ctx, m, g, lr);
        return loss;
    }

    /**
     * The network's step without its output layer (a zero gradient at the top): the floor that the output layer's
     * cost is measured against in benchmarks.
     */
    public void trainStepWithoutOutput(int[] ctx, int m, float lr) {
        List<Tensor> inputs = new ArrayList<>(hidden.size());
        Tensor x = embedding.forward(ctx, m);
        for (DenseLayer l : hidden) {
            inputs.add(x);
            x = l.forward(x);
        }
        Tensor g = gradTop.rowRange(0, m);
        b.fill(g, 0f);
        for (int i = hidden.size() - 1; i >= 0; i--) {
            g = hidden.get(i).backward(inputs.get(i), g, true, updater, lr);
        }
        embedding.backward(ctx, m, g, lr);
    }

    /**
     * Every parameter and piece of training state as named live tensors (for checkpoints): embeddings, dense layers,
     * the output layer's state and the optimizer's state.
     */
    public Map<String, Tensor> state() {
        Map<String, Tensor> s = new LinkedHashMap<>();
        s.put("embedding", embedding.table());
        for (DenseLayer l : hidden) {
            s.put(l.name() + ".W", l.weights());
            s.put(l.name() + ".b", l.bias());
        }
        output.state().forEach((k, v) -> s.put("output." + k, v));
        updater.state().forEach((k, v) -> s.put("optimizer." + k, v));
        return s;
    }

    @Override
    public void close() {
        embedding.close();
        hidden.forEach(DenseLayer::close);
        output.close();
        updater.close();
        gradTop.close();
    }
}
