package io.spherical.models.layers;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;
import java.util.Random;

/**
 * Word embeddings E ({@code V x e}) looked up for n context words per example and concatenated: the gather of
 * {@code m * n} rows is read as the {@code m x (n e)} concatenation (row-major order makes them the same storage).
 * Updated sparsely: only the rows that were looked up change (plain SGD with the model's learning rate).
 */
public final class EmbeddingLayer implements AutoCloseable {
    private final Backend b;
    private final int vocab;
    private final int dim;
    private final int context;
    private final Tensor e;
    private final Tensor gathered;

    /** Embeddings uniform in +-sqrt(3 / dim) (unit expected squared norm), drawn from rnd. */
    public EmbeddingLayer(Backend backend, int vocab, int dim, int context, int maxBatch, Random rnd) {
        this.b = backend;
        this.vocab = vocab;
        this.dim = dim;
        this.context = context;
        float[] init = new float[Math.toIntExact((long) vocab * dim)];
        double lim = Math.sqrt(3.0 / dim);
        for (int i = 0; i < init.length; i++) {
            init[i] = (float) ((rnd.nextDouble() * 2 - 1) * lim);
        }
        e = b.fromHost(init, vocab, dim);
        gathered = b.zeros(maxBatch * context, dim);
    }

    /** The table E. */
    public Tensor table() {
        return e;
    }

    /** Width of the concatenation, {@code n e}. */
    public int outputDim() {
        return context * dim;
    }

    /** Looks up {@code ids} ({@code m * n} word ids, example-major) and returns the {@code m x (n e)} concatenation. */
    public Tensor forward(int[] ids, int m) {
        Tensor g = gathered.rowRange(0, m * context);
        b.gatherRows(e, ids, g);
        return g.reshape(m, context * dim);
    }

    /** E[ids] -= lr dL/d(concatenation), repeated ids accumulating. */
    public void backward(int[] ids, int m, Tensor grad, float lr) {
        b.scatterAddRows(-lr, grad.reshape(m * context, dim), ids, e);
    }

    /** Context words per example. */
    public int context() {
        return context;
    }

    /** Embedding width. */
    public int dim() {
        return dim;
    }

    /** Vocabulary size. */
    public int vocab() {
        return vocab;
    }

    @Override
    public void close() {
        e.close();
        gathered.close();
    }
}
