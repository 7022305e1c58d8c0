package io.spherical.models.layers;

import io.spherical.api.Backend;
import io.spherical.api.Optimizer;
import io.spherical.api.Reduction;
import io.spherical.api.Tensor;
import io.spherical.api.UnaryOp;
import java.util.Random;

/**
 * A fully connected layer {@code y = f(x W^T + b)} with W ({@code out x in}) and b ({@code 1 x out}); f is an
 * activation with an output-form derivative (ReLU, tanh, sigmoid, identity). Batch-major: x is {@code m x in}.
 * Its buffers are sized for the largest minibatch once; forward and backward allocate nothing.
 */
public final class DenseLayer implements AutoCloseable {
    private final Backend b;
    private final String name;
    private final int in;
    private final int out;
    private final UnaryOp activation;
    private final Tensor w;
    private final Tensor bias;
    private final Tensor y;
    private final Tensor dpre;
    private final Tensor dx;
    private final Tensor dw;
    private final Tensor db;

    /** A layer initialised uniform in +-sqrt(6 / in) (He, for ReLU) or +-sqrt(6 / (in + out)) (Glorot, otherwise). */
    public DenseLayer(Backend backend, String name, int in, int out, UnaryOp activation, int maxBatch, Random rnd) {
        if (!activation.hasBackward()) {
            throw new IllegalArgumentException(activation + " cannot be an activation (no output-form derivative)");
        }
        this.b = backend;
        this.name = name;
        this.in = in;
        this.out = out;
        this.activation = activation;
        double lim = activation == UnaryOp.RELU ? Math.sqrt(6.0 / in) : Math.sqrt(6.0 / (in + out));
        float[] init = new float[in * out];
        for (int i = 0; i < init.length; i++) {
            init[i] = (float) ((rnd.nextDouble() * 2 - 1) * lim);
        }
        w = b.fromHost(init, out, in);
        bias = b.zeros(1, out);
        y = b.zeros(maxBatch, out);
        dpre = b.zeros(maxBatch, out);
        dx = b.zeros(maxBatch, in);
        dw = b.zeros(out, in);
        db = b.zeros(1, out);
    }

    /** The parameter name prefix used in checkpoints and optimizer state. */
    public String name() {
        return name;
    }

    /** Output width. */
    public int outputDim() {
        return out;
    }

    /** The weights W ({@code out x in}). */
    public Tensor weights() {
        return w;
    }

    /** The bias ({@code 1 x out}). */
    public Tensor bias() {
        return bias;
    }

    /** y = f(x W^T + b) for the m rows of x; returns a view of the layer's output buffer. */
    public Tensor forward(Tensor x) {
        Tensor yv = y.rowRange(0, x.rows());
        b.gemm(1f, x, false, w, true, 0f, yv);
        b.addRowVector(1f, bias, yv);
        b.map(activation, yv, yv);
        return yv;
    }

    /**
     * Back-propagates {@code dy} (dL/dy for the last forward of x), updates W and b with the optimizer, and returns
     * dL/dx (a view) when {@code needInputGradient}, else null. dL/dx is computed with W before its update.
     */
    public Tensor backward(Tensor x, Tensor dy, boolean needInputGradient, Optimizer.Updater opt, float lr) {
        Tensor dxv = gradients(x, dy, needInputGradient);
        apply(opt, lr);
        return dxv;
    }

    /**
     * The first half of {@link #backward}: dL/dW and dL/db into {@link #weightGradient()} and {@link #biasGradient()}
     * (where data-parallel training sums them over workers), and dL/dx (a view) when {@code needInputGradient}.
     */
    public Tensor gradients(Tensor x, Tensor dy, boolean needInputGradient) {
        int m = x.rows();
        Tensor yv = y.rowRange(0, m);
        Tensor dp = dpre.rowRange(0, m);
        b.mapBackward(activation, yv, dy, dp);
        b.gemm(1f, dp, true, x, false, 0f, dw);
        b.reduceColumns(Reduction.SUM, dp, db);
        Tensor dxv = null;
        if (needInputGradient) {
            dxv = dx.rowRange(0, m);
            b.gemm(1f, dp, false, w, false, 0f, dxv);
        }
        return dxv;
    }

    /** The second half of {@link #backward}: the optimizer's update of W and b with the gradients held. */
    public void apply(Optimizer.Updater opt, float lr) {
        opt.update(name + ".W", w, dw, lr);
        opt.update(name + ".b", bias, db, lr);
    }

    /** Registers this layer's parameters with the optimizer (so its state exists before the first update). */
    public void register(Optimizer.Updater opt) {
        opt.register(name + ".W", w);
        opt.register(name + ".b", bias);
    }

    /** dL/dW of the last backward. */
    public Tensor weightGradient() {
        return dw;
    }

    /** dL/db of the last backward. */
    public Tensor biasGradient() {
        return db;
    }

    @Override
    public void close() {
        for (Tensor t : new Tensor[] {w, bias, y, dpre, dx, dw, db}) {
            t.close();
        }
    }
}
