package com.example.quickstart;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Tensor;
import io.spherical.models.loss.ZLoss;
import io.spherical.models.output.FactoredConfig;
import io.spherical.models.output.FactoredSphericalOutput;
import java.util.Random;

/**
 * README's "Using Spherical from Java": discover a backend, build the factored Z-loss layer over 50,000 classes, train
 * it on a toy task (each class has a prototype input; the input is its prototype plus noise) and read the scores.
 * The cost of a step does not depend on the number of classes; reading every score does.
 */
public final class Quickstart {
    static final int CLASSES = 50_000;
    static final int WIDTH = 32;
    static final int BATCH = 128;
    static final int USED = 200;

    /** What the example measured: the mean loss of the first and last steps, and top-1 accuracy on fresh inputs. */
    public record Outcome(String backend, double firstLoss, double lastLoss, double top1) {
    }

    private Quickstart() {
    }

    public static void main(String[] args) {
        Outcome o = run(Integer.parseInt(args.length > 0 ? args[0] : "300"));
        System.out.printf("backend %s: loss %.4f -> %.4f, top-1 accuracy on fresh inputs %.2f%n", o.backend(),
                o.firstLoss(), o.lastLoss(), o.top1());
    }

    /** Trains for {@code steps} minibatches and measures the outcome. */
    public static Outcome run(int steps) {
        Random rnd = new Random(1);
        float[] prototypes = new float[USED * WIDTH];
        for (int i = 0; i < prototypes.length; i++) {
            prototypes[i] = (float) rnd.nextGaussian();
        }
        float[] hHost = new float[BATCH * WIDTH];
        int[] targets = new int[BATCH];
        // create(null): no explicit choice, so -Dspherical.backend, then SPHERICAL_BACKEND, then the highest priority
        try (Backend backend = BackendDiscovery.discover().create(null);
             FactoredSphericalOutput layer = new FactoredSphericalOutput(backend,
                     FactoredConfig.of(CLASSES, WIDTH, BATCH), new ZLoss());
             Tensor h = backend.zeros(BATCH, WIDTH);
             Tensor scores = backend.zeros(BATCH, CLASSES)) {
            double first = Double.NaN;
            double last = Double.NaN;
            for (int step = 0; step < steps; step++) {
                batch(rnd, prototypes, hHost, targets);
                backend.upload(hHost, h);
                last = layer.step(h, targets, 0.05f, null);         // null: no layer below needs dL/dH
                if (step == 0) {
                    first = last;
                }
            }
            batch(rnd, prototypes, hHost, targets);
            backend.upload(hHost, h);
            layer.scores(h, scores);                                // BATCH x CLASSES, higher is more likely
            int[] best = new int[BATCH];
            backend.topKRows(scores, 1, best);
            int right = 0;
            for (int i = 0; i < BATCH; i++) {
                right += best[i] == targets[i] ? 1 : 0;
            }
            return new Outcome(backend.name(), first, last, right / (double) BATCH);
        }
    }

    /** A minibatch: a class among the first {@link #USED}, its input the class's prototype plus noise. */
    private static void batch(Random rnd, float[] prototypes, float[] h, int[] targets) {
        for (int i = 0; i < BATCH; i++) {
            targets[i] = rnd.nextInt(USED);
            for (int j = 0; j < WIDTH; j++) {
                h[i * WIDTH + j] = prototypes[targets[i] * WIDTH + j] + 0.3f * (float) rnd.nextGaussian();
            }
        }
    }
}
