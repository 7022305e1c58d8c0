package io.spherical.benchmarks;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import ai.djl.training.loss.SoftmaxCrossEntropyLoss;
import io.spherical.benchmarks.BenchResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The peer of {@code spherical bench network --preset 1bw --layers softmax}: the Z-loss authors' One Billion Word
 * network (10 context words, embeddings 512, hidden 2048-2048-512 ReLU, log-softmax over D) trained one SGD step at
 * a time in PyTorch through DJL (autograd), same columns. The embedding is either dense (its gradient is a V x 512
 * dense tensor, as {@code nn.Embedding()} gives) or sparse ({@code nn.Embedding(sparse=True)}: torch's embedding with
 * a sparse gradient, which SGD applies to the rows present only). Arguments:
 * {@code [vocab] [batch] [iterations] [format] [dense|sparse]}.
 */
public final class PyTorchNetworkPeer {
    private PyTorchNetworkPeer() {
    }

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        System.setProperty("ai.djl.offline", "true");
        int vocab = args.length > 0 ? Integer.parseInt(args[0]) : 793_471;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int iterations = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        boolean sparse = args.length > 4 && args[4].equals("sparse");
        int ctx = 10;
        int emb = 512;
        int[] widths = {ctx * emb, 2048, 2048, 512};
        Random r = new Random(5);
        try (NDManager mgr = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            List<NDArray> params = new ArrayList<>();
            NDArray e = mgr.randomUniform(-0.05f, 0.05f, new Shape(vocab, emb));
            params.add(e);
            List<NDArray[]> layers = new ArrayList<>();
            for (int i = 0; i + 1 < widths.length; i++) {
                float lim = (float) Math.sqrt(6.0 / widths[i]);
                NDArray w = mgr.randomUniform(-lim, lim, new Shape(widths[i + 1], widths[i]));
                NDArray b = mgr.zeros(new Shape(widths[i + 1]));
                layers.add(new NDArray[] {w, b});
                params.add(w);
                params.add(b);
            }
            float lim = (float) Math.sqrt(6.0 / (vocab + 513));
            NDArray wo = mgr.randomUniform(-lim, lim, new Shape(vocab, 512));
            NDArray bo = mgr.zeros(new Shape(vocab));
            params.add(wo);
            params.add(bo);
            params.forEach(p -> p.setRequiresGradient(true));
            SoftmaxCrossEntropyLoss ce = new SoftmaxCrossEntropyLoss("ce", 1, -1, true, true);
            float lr = 0.01f;
            double[] ms = new double[iterations];
            double before = e.sum().getFloat();
            for (int it = -1; it < iterations; it++) {
                long[] ids = new long[batch * ctx];
                int[] t = new int[batch];
                for (int i = 0; i < ids.length; i++) {
                    ids[i] = r.nextInt(vocab);
                }
                for (int i = 0; i < batch; i++) {
                    t[i] = r.nextInt(vocab);
                }
                long t0 = System.nanoTime();
                try (NDManager step = mgr.newSubManager(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray x = (sparse ? JniUtils.embedding((PtNDArray) step.create(ids), (PtNDArray) e, true)
                            : e.get(step.create(ids))).reshape(batch, ctx * emb);
                    for (NDArray[] l : layers) {
                        x = x.matMul(l[0].transpose()).add(l[1]).maximum(0f);
                    }
                    NDArray logits = x.matMul(wo.transpose()).add(bo);
                    NDArray loss = ce.evaluate(new NDList(step.create(t)), new NDList(logits));
                    gc.backward(loss);
                    for (NDArray p : params) {
                        NDArray g = p.getGradient();
                        g.muli(lr);
                        p.stopGradient().subi(g);
                    }
                    loss.getFloat();
                }
                if (it >= 0) {
                    ms[it] = (System.nanoTime() - t0) / 1e6;
                } else if (e.sum().getFloat() == before) {   // checked once, outside the timed steps
                    throw new IllegalStateException("the warm-up step did not update the embedding");
                }
            }
            java.util.Arrays.sort(ms);
            double med = Timing.median(ms);
            BenchResult row = new BenchResult("pytorch-network/softmax" + (sparse ? "-sparse-embedding" : ""), vocab, 513, batch, med, ms[0], ms[ms.length - 1],
                    batch / med * 1000, Double.NaN, Double.NaN);
            System.err.printf("pytorch network D=%d, %s embedding: %.1f ms%n", vocab, sparse ? "sparse" : "dense", med);
            System.out.print(BenchResult.format(List.of(row), args.length > 3 ? args[3] : "csv"));
        }
    }
}
