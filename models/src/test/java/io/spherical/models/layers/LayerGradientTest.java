package io.spherical.models.layers;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Optimizer;
import io.spherical.api.Tensor;
import io.spherical.api.UnaryOp;
import io.spherical.models.optim.Sgd;
import io.spherical.testkit.Dense64;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Layer gradients (float32, on the backend) against central finite differences of a float64 re-implementation of
 * the same forward pass. Loss L = sum(R * y) for a random R. Tolerance: relative Frobenius error 1e-4.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class LayerGradientTest {
    private Backend b;

    @BeforeAll
    void open() {
        b = BackendDiscovery.discover().create("nd4j");
    }

    @AfterAll
    void close() {
        b.close();
    }

    private static double loss(double[] x, double[] w, double[] bias, double[] r, int m, int in, int out, UnaryOp f) {
        double l = 0;
        for (int i = 0; i < m; i++) {
            for (int o = 0; o < out; o++) {
                double z = bias[o];
                for (int k = 0; k < in; k++) {
                    z += x[i * in + k] * w[o * in + k];
                }
                l += r[i * out + o] * f.apply(z);
            }
        }
        return l;
    }

    private static double[] fd(double[] v, java.util.function.ToDoubleFunction<double[]> f) {
        double[] g = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            double keep = v[i];
            double h = 1e-6;
            v[i] = keep + h;
            double up = f.applyAsDouble(v);
            v[i] = keep - h;
            double down = f.applyAsDouble(v);
            v[i] = keep;
            g[i] = (up - down) / (2 * h);
        }
        return g;
    }

    private static double relErr(double[] exp, float[] got) {
        double n = 0;
        double d = 0;
        for (int i = 0; i < exp.length; i++) {
            n += (exp[i] - got[i]) * (exp[i] - got[i]);
            d += exp[i] * exp[i];
        }
        return Math.sqrt(n / Math.max(d, 1e-300));
    }

    @ParameterizedTest
    @EnumSource(value = UnaryOp.class, names = {"RELU", "TANH", "SIGMOID", "IDENTITY"})
    void denseLayerGradientsMatchFiniteDifferences(UnaryOp f) {
        int m = 6;
        int in = 7;
        int out = 5;
        Random rnd = new Random(11);
        try (DenseLayer layer = new DenseLayer(b, "t", in, out, f, m, rnd);
             Optimizer.Updater sgd = new Sgd().updater(b)) {
            float[] xf = Dense64.randomFloats(rnd, m * in, 1.0);
            float[] rf = Dense64.randomFloats(rnd, m * out, 1.0);
            float[] bf = Dense64.randomFloats(rnd, out, 0.5);
            b.upload(bf, layer.bias());
            double[] w = Dense64.of(b.toHost(layer.weights()), out, in).v;
            double[] x = Dense64.of(xf, m, in).v;
            double[] bias = Dense64.of(bf, 1, out).v;
            double[] r = Dense64.of(rf, m, out).v;
            try (Tensor xt = b.fromHost(xf, m, in); Tensor rt = b.fromHost(rf, m, out)) {
                layer.forward(xt);
                Tensor dx = layer.backward(xt, rt, true, sgd, 0f);
                double ex = relErr(fd(x, v -> loss(v, w, bias, r, m, in, out, f)), b.toHost(dx));
                double ew = relErr(fd(w, v -> loss(x, v, bias, r, m, in, out, f)), b.toHost(layer.weightGradient()));
                double eb = relErr(fd(bias, v -> loss(x, w, v, r, m, in, out, f)), b.toHost(layer.biasGradient()));
                assertTrue(ex < 1e-4 && ew < 1e-4 && eb < 1e-4, f + ": dx " + ex + " dW " + ew + " db " + eb);
            }
        }
    }

    @Test
    void embeddingBackwardAddsEveryOccurrence() {
        Random rnd = new Random(5);
        try (EmbeddingLayer e = new EmbeddingLayer(b, 10, 3, 2, 4, rnd)) {
            float[] before = b.toHost(e.table());
            int[] ids = {1, 4, 4, 9, 1, 1, 0, 4};
            Tensor cat = e.forward(ids, 4);
            float[] got = b.toHost(cat);
            for (int k = 0; k < ids.length; k++) {
                for (int j = 0; j < 3; j++) {
                    assertTrue(got[k * 3 + j] == before[ids[k] * 3 + j], "gathered row " + k);
                }
            }
            float[] g = Dense64.randomFloats(rnd, 4 * 6, 1.0);
            try (Tensor gt = b.fromHost(g, 4, 6)) {
                e.backward(ids, 4, gt, 0.5f);
            }
            double[] exp = new double[before.length];
            for (int i = 0; i < exp.length; i++) {
                exp[i] = before[i];
            }
            for (int k = 0; k < ids.length; k++) {
                for (int j = 0; j < 3; j++) {
                    exp[ids[k] * 3 + j] -= 0.5 * g[k * 3 + j];
                }
            }
            assertTrue(relErr(exp, b.toHost(e.table())) < 1e-6, "sparse update with repeated ids");
        }
    }
}
