package io.spherical.distributed;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Collective;
import io.spherical.api.Collectives;
import io.spherical.api.Tensor;
import io.spherical.models.lm.DataParallelStep;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.lm.NgramLanguageModel;
import io.spherical.models.lm.OutputKind;
import io.spherical.models.lm.Vocabulary;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.optim.OptimizerRegistry;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One worker of {@link DataParallelTest}: {@code rank size port loss localBatch steps out}. Trains the test network
 * for {@code steps} data-parallel steps on its shard of each global minibatch and writes every parameter to
 * {@code out} ({@link #write}); with size 1 and no port it is the single-process reference with the whole minibatch.
 */
public final class DataParallelWorker {
    static final int VOCAB = 60;
    static final int CONTEXT = 2;

    private DataParallelWorker() {
    }

    public static void main(String[] args) throws IOException {
        int rank = Integer.parseInt(args[0]);
        int size = Integer.parseInt(args[1]);
        int port = Integer.parseInt(args[2]);
        try (Collective c = Collectives.join(rank, size, "127.0.0.1", port, Duration.ofSeconds(30));
             Backend b = BackendDiscovery.discover().create("nd4j")) {
            write(train(b, c, args[3], Integer.parseInt(args[4]), Integer.parseInt(args[5])), Path.of(args[6]));
        }
    }

    static ModelConfig config(String loss) {
        ModelConfig.Builder m = ModelConfig.builder().context(CONTEXT).embedding(6).hidden(List.of(12, 10)).seed(5);
        return loss.equals("log-softmax") ? m.output(OutputKind.SOFTMAX).build()
                : m.output(OutputKind.FACTORED).loss(loss, Map.of()).build();
    }

    static Vocabulary vocabulary() {
        List<String> words = new ArrayList<>();
        long[] counts = new long[VOCAB];
        for (int i = 0; i < VOCAB; i++) {
            words.add(i == 0 ? "</s>" : i == 1 ? "<unk>" : "w" + i);
            counts[i] = VOCAB - i;
        }
        return new Vocabulary(words, counts);
    }

    /**
     * {@code steps} steps; the global minibatch of step t (N m examples) is drawn from a generator seeded by t, and
     * this rank takes its m rows. With one rank the plain single-process step on the whole minibatch.
     */
    static Map<String, float[]> train(Backend b, Collective c, String loss, int m, int steps) {
        int n = c.size();
        ModelConfig cfg = config(loss);
        try (NgramLanguageModel model = new NgramLanguageModel(b, cfg, vocabulary(),
                LossRegistry.discover().create(cfg.loss(), cfg.lossParams()),
                OptimizerRegistry.discover().create("momentum", Map.of()), n * m);
             DataParallelStep dp = new DataParallelStep(model, c, m)) {
            for (int t = 0; t < steps; t++) {
                Random r = new Random(1000 + t);
                int[] ctx = new int[n * m * CONTEXT];
                int[] targets = new int[n * m];
                for (int i = 0; i < ctx.length; i++) {
                    ctx[i] = r.nextInt(VOCAB);
                }
                for (int i = 0; i < targets.length; i++) {
                    targets[i] = (ctx[i * CONTEXT] * 7 + ctx[i * CONTEXT + 1] + r.nextInt(3)) % VOCAB;
                }
                if (n == 1) {
                    model.trainStep(ctx, targets, m, 0.1f);
                } else {
                    int[] myCtx = java.util.Arrays.copyOfRange(ctx, c.rank() * m * CONTEXT, (c.rank() + 1) * m * CONTEXT);
                    int[] myTargets = java.util.Arrays.copyOfRange(targets, c.rank() * m, (c.rank() + 1) * m);
                    dp.step(myCtx, myTargets, m, 0.1f);
                }
            }
            Map<String, float[]> out = new java.util.TreeMap<>();
            for (Map.Entry<String, Tensor> e : model.state().entrySet()) {
                float[] v = new float[(int) ((long) e.getValue().rows() * e.getValue().cols())];
                b.download(e.getValue(), v);
                out.put(e.getKey(), v);
            }
            return out;
        }
    }

    static void write(Map<String, float[]> state, Path file) throws IOException {
        try (DataOutputStream o = new DataOutputStream(Files.newOutputStream(file))) {
            o.writeInt(state.size());
            for (Map.Entry<String, float[]> e : state.entrySet()) {
                o.writeUTF(e.getKey());
                o.writeInt(e.getValue().length);
                for (float f : e.getValue()) {
                    o.writeFloat(f);
                }
            }
        }
    }
}
