package io.spherical.distributed;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Collective;
import io.spherical.api.Collectives;
import io.spherical.api.Tensor;
import io.spherical.models.parallel.DataParallelStep;
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
        try (Collective c = Collectives.join(rank, size, LocalGroup.address(port, Duration.ofSeconds(30)));
             Backend b = BackendDiscovery.discover().create("nd4j")) {
            write(train(b, c, args[3], Integer.parseInt(args[4]), Integer.parseInt(args[5]),
                    args.length > 7 && args[7].equals("drift")), Path.of(args[6]));
        }
    }

    static ModelConfig config(String loss) {
        ModelConfig.Builder m = ModelConfig.builder().context(CONTEXT).embedding(6).hidden(List.of(12, 10)).seed(5);
        return switch (loss) {
            case "log-softmax" -> m.output(OutputKind.SOFTMAX).build();
            case "hsm" -> m.output(OutputKind.HSM).build();
            case "sampled" -> m.output(OutputKind.SAMPLED).samples(8).build();
            case "adaptive" -> m.output(OutputKind.ADAPTIVE).cutoffs(List.of(10, 30)).build();
            case "dense-z-loss" -> m.output(OutputKind.DENSE).loss("z-loss", Map.of()).build();
            default -> m.output(OutputKind.FACTORED).loss(loss, Map.of()).build();
        };
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
        return train(b, c, loss, m, steps, false);
    }

    /**
     * With {@code drift}, halfway through rank 1 changes one of its embedding weights by 1e-3 and every rank then checks
     * the replicas: the check before the change must find them identical, the one after must resynchronise them from
     * rank 0; then (output layers with a step counter) rank 1 moves its counter and the next check must give it rank
     * 0's (else the worker fails with an IllegalStateException).
     */
    static Map<String, float[]> train(Backend b, Collective c, String loss, int m, int steps, boolean drift) {
        int n = c.size();
        ModelConfig cfg = config(loss);
        try (NgramLanguageModel model = new NgramLanguageModel(b, cfg, vocabulary(),
                LossRegistry.discover().create(cfg.loss(), cfg.lossParams()),
                OptimizerRegistry.discover().create("momentum", Map.of()),
                DataParallelStep.modelBatch(cfg.output(), m, n));
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
                    if (drift && t == steps / 2) {
                        driftAndResync(b, c, model, dp);
                    }
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

    private static void driftAndResync(Backend b, Collective c, NgramLanguageModel model, DataParallelStep dp) {
        if (dp.checkReplicas()) {
            throw new IllegalStateException("identical replicas were found to differ");
        }
        if (c.rank() == 1) {
            Tensor e = model.state().values().iterator().next();
            float[] v = b.toHost(e);
            v[v.length / 2] += 1e-3f;
            b.upload(v, e);
        }
        if (!dp.checkReplicas() || dp.resyncs() != 1 || dp.checkReplicas()) {
            throw new IllegalStateException("a changed replica was not resynchronised (" + dp.resyncs() + " resyncs)");
        }
        OutputKind kind = model.config().output();
        if (kind != OutputKind.FACTORED && kind != OutputKind.SAMPLED) {
            return;                     // the other layers keep no step counter
        }
        long counter = model.output().counter();
        if (c.rank() == 1) {
            model.output().restoreCounter(counter + 5);
        }
        if (!dp.checkReplicas() || dp.resyncs() != 2 || model.output().counter() != counter || dp.checkReplicas()) {
            throw new IllegalStateException("a changed output-layer counter was not resynchronised (" + dp.resyncs()
                    + " resyncs, counter " + model.output().counter() + " for rank 0's " + counter + ")");
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
