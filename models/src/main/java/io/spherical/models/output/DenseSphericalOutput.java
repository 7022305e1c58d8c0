package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.Reduction;
import io.spherical.api.SphericalLoss;
import io.spherical.api.Tensor;
import java.util.Random;

/**
 * Spherical-family output layer computed the ordinary way (docs/ALGORITHM.md 3): it forms all D outputs, so a step costs
 * about {@code 3 D d m} multiply-adds. The O(Dd) baseline of the factored layer and its reference in tests.
 * Mean loss over the minibatch; plain SGD on W.
 */
public final class DenseSphericalOutput implements OutputLayer {
    private final Backend b;
    private final SphericalLoss loss;
    private final int dIn;
    private final int d;
    private final int classes;
    private final int mMax;
    private final Tensor w;
    private final BiasedInput input;
    private final Tensor o;
    private final Tensor ones;
    private final Tensor[] vec = new Tensor[6];
    private final Tensor grad;
    private final float[] hq;
    private final float[] hs;
    private final float[] ha;
    private final float[] up;
    private final double[] fq;
    private final double[] fs;
    private final double[] fa;
    private final double[] partials = new double[3];

    /** A dense layer with Glorot-uniform weights drawn from the config's seed (the same start as the factored one). */
    public DenseSphericalOutput(Backend backend, FactoredConfig cfg, SphericalLoss loss) {
        this(backend, cfg, loss, glorot(backend, cfg.classes(), cfg.width(), cfg.seed()));
    }

    /** A dense layer starting from {@code w0} ({@code D x d}, bias column last). */
    public DenseSphericalOutput(Backend backend, FactoredConfig cfg, SphericalLoss loss, float[] w0) {
        this(backend, cfg, loss, backend.fromHost(w0, cfg.classes(), cfg.width()));
    }

    /** Takes ownership of {@code w0} ({@code D x d} on this backend). */
    private DenseSphericalOutput(Backend backend, FactoredConfig cfg, SphericalLoss loss, Tensor w0) {
        this.b = backend;
        this.loss = loss;
        this.dIn = cfg.inputDim();
        this.d = cfg.width();
        this.classes = cfg.classes();
        this.mMax = cfg.maxBatch();
        w = w0;
        input = new BiasedInput(b, mMax, dIn, cfg.biasInput());
        o = b.zeros(mMax, classes);
        ones = b.zeros(1, classes);
        b.fill(ones, 1f);
        for (int i = 0; i < vec.length; i++) {
            vec[i] = b.zeros(mMax, 1);
        }
        grad = b.zeros(mMax, d);
        hq = new float[mMax];
        hs = new float[mMax];
        ha = new float[mMax];
        up = new float[mMax];
        fq = new double[mMax];
        fs = new double[mMax];
        fa = new double[mMax];
    }

    /**
     * Uniform in +-sqrt(6 / (D + d)) (Glorot), drawn from {@code seed} row block by row block, so that a layer of
     * any size is initialised without a host copy of all its weights. Dense and factored layers share it, so they
     * start from the same W for the same seed.
     */
    static Tensor glorot(Backend b, int classes, int d, long seed) {
        Tensor w = b.zeros(classes, d);
        Random r = new Random(seed);
        double lim = Math.sqrt(6.0 / (classes + d));
        int block = Math.max(1, Math.min(classes, (1 << 20) / d));
        float[] buf = new float[block * d];
        for (int r0 = 0; r0 < classes; r0 += block) {
            int r1 = Math.min(classes, r0 + block);
            for (int i = 0; i < (r1 - r0) * d; i++) {
                buf[i] = (float) ((r.nextDouble() * 2 - 1) * lim);
            }
            b.upload(buf, w.rowRange(r0, r1));
        }
        return w;
    }

    @Override
    public OutputShape shape() {
        return new OutputShape(dIn, classes, mMax);
    }

    @Override
    public boolean normalised() {
        return loss.normalised();
    }

    private Tensor outputs(Tensor h, int[] targets) {
        int m = h.rows();
        Tensor hv = input.load(h);
        Tensor ov = o.rowRange(0, m);
        b.gemm(1f, hv, false, w, true, 0f, ov);               // O = Hb W^T (m x D)
        b.reduceRows(Reduction.SUM_SQUARES, ov, vec[0].rowRange(0, m));
        b.reduceRows(Reduction.SUM, ov, vec[1].rowRange(0, m));
        b.gatherElements(ov, targets, vec[2].rowRange(0, m));
        b.download(vec[0].rowRange(0, m), hq);
        b.download(vec[1].rowRange(0, m), hs);
        b.download(vec[2].rowRange(0, m), ha);
        return ov;
    }

    @Override
    public void losses(Tensor h, int[] targets, double[] out) {
        outputs(h, targets);
        for (int i = 0; i < h.rows(); i++) {
            out[i] = loss.evaluate(hq[i], hs[i], ha[i], classes, partials);
        }
    }

    @Override
    public double step(Tensor h, int[] targets, float eta, Tensor gradOut) {
        int m = h.rows();
        Tensor ov = outputs(h, targets);
        double total = 0;
        for (int i = 0; i < m; i++) {
            double l = loss.evaluate(hq[i], hs[i], ha[i], classes, partials);
            if (!Double.isFinite(l)) {
                throw new DivergenceException("the loss of example " + i + " is not finite");
            }
            total += l;
            fq[i] = partials[0] / m;
            fs[i] = partials[1] / m;
            fa[i] = partials[2] / m;
        }
        Tensor fq2 = vec[3].rowRange(0, m);
        Tensor fsv = vec[4].rowRange(0, m);
        Tensor fav = vec[5].rowRange(0, m);
        upload(fq, 2, fq2, m);
        upload(fs, 1, fsv, m);
        upload(fa, 1, fav, m);
        // G (batch-major, m x D) = 2 diag(fq) O + fs 1^T + Y'^T, built in place of O
        b.scaleRows(ov, fq2, ov);
        b.gemm(1f, fsv, false, ones, false, 1f, ov);
        b.addToElements(1f, fav, targets, ov);
        Tensor hv = input.rows(m);
        if (gradOut != null) {
            Tensor gv = grad.rowRange(0, m);
            b.gemm(1f, ov, false, w, false, 0f, gv);          // dL/dH = G W
            b.copyColumns(gv, 0, gradOut, 0, dIn);
        }
        b.gemm(-eta, ov, true, hv, false, 1f, w);              // W -= eta G^T Hb
        return total / m;
    }

    private void upload(double[] src, double scale, Tensor dst, int m) {
        for (int i = 0; i < m; i++) {
            up[i] = (float) (scale * src[i]);
        }
        b.upload(up, dst);
    }

    @Override
    public void scores(Tensor h, Tensor out) {
        Tensor hv = input.load(h);
        b.gemm(1f, hv, false, w, true, 0f, out);
    }

    @Override
    public java.util.Map<String, Tensor> state() {
        return java.util.Map.of("W", w);
    }

    /** W on the host ({@code D x d}). */
    public float[] weights() {
        return b.toHost(w);
    }

    @Override
    public void close() {
        input.close();
        for (Tensor t : new Tensor[] {w, o, ones, grad}) {
            t.close();
        }
        for (Tensor t : vec) {
            t.close();
        }
    }
}
