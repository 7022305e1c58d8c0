package io.spherical.benchmarks;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDList;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.spherical.benchmarks.BenchResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The peer: the same dense log-softmax output-layer step (logits = H W^T, mean cross-entropy, dL/dH and dL/dW by
 * PyTorch's autograd, then W -= lr dL/dW) in PyTorch through DJL on the CPU, offline, printed with the same columns
 * as {@code spherical bench layer}. Arguments: {@code [vocab,vocab,...] [dim] [batch] [iterations]}.
 */
public final class PyTorchSoftmaxPeer {
    private PyTorchSoftmaxPeer() {
    }

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        System.setProperty("ai.djl.offline", "true");
        int[] vocabs = args.length > 0 ? java.util.Arrays.stream(args[0].split(",")).mapToInt(Integer::parseInt).toArray()
                : new int[] {10_000, 100_000, 793_471};
        int dim = args.length > 1 ? Integer.parseInt(args[1]) : 513;
        int batch = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        int iterations = args.length > 3 ? Integer.parseInt(args[3]) : 5;
        List<BenchResult> rows = new ArrayList<>();
        try (NDManager mgr = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            for (int vocab : vocabs) {
                rows.add(run(mgr, vocab, dim, batch, iterations));
                System.err.printf("pytorch-softmax D=%d: %.2f ms%n", vocab, rows.get(rows.size() - 1).msMedian());
            }
        }
        System.out.print(BenchResult.format(rows, args.length > 4 ? args[4] : "markdown"));
    }

    static BenchResult run(NDManager mgr, int vocab, int dim, int batch, int iterations) {
        Random r = new Random(7);
        double lim = Math.sqrt(6.0 / (vocab + dim));
        NDArray w = mgr.randomUniform((float) -lim, (float) lim, new Shape(vocab, dim));
        NDArray h = mgr.randomNormal(new Shape(batch, dim));
        w.setRequiresGradient(true);
        h.setRequiresGradient(true); // dL/dH is part of the step, as in ours
        SoftmaxCrossEntropyLoss softmaxCe = new SoftmaxCrossEntropyLoss("ce", 1, -1, true, true);
        float lr = 1e-3f;
        double[] ms = new double[iterations];
        for (int it = -2; it < iterations; it++) {
            int[] t = new int[batch];
            for (int i = 0; i < batch; i++) {
                t[i] = r.nextInt(vocab);
            }
            long t0 = System.nanoTime();
            try (NDManager step = mgr.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                // what a PyTorch user writes: autograd through log-softmax and the picked target (fused kernels)
                NDArray targets = step.create(t);
                NDArray logits = h.matMul(w.transpose());
                NDArray loss = softmaxCe.evaluate(new NDList(targets), new NDList(logits));
                gc.backward(loss);
                // in place, as torch.optim.SGD's param.add_(grad, alpha=-lr): no D x d temporary
                NDArray g = w.getGradient();
                g.muli(lr);
                w.stopGradient().subi(g);
                float l = loss.getFloat();
                h.getGradient().getFloat(0, 0);
                if (!Float.isFinite(l)) {
                    throw new IllegalStateException("peer diverged");
                }
            }
            if (it >= 0) {
                ms[it] = (System.nanoTime() - t0) / 1e6;
            }
        }
        java.util.Arrays.sort(ms);
        double med = Timing.median(ms);
        double flops = 2.0 * 3 * (double) vocab * dim * batch;
        return new BenchResult("pytorch-softmax", vocab, dim, batch, med, ms[0], ms[ms.length - 1], batch / med * 1000,
                flops / med / 1e6, Double.NaN);
    }
}
