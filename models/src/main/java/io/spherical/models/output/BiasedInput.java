package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;

/**
 * The input buffer {@code Hb = [H, bias]} shared by the output layers: sized once for the largest minibatch, the
 * bias column written once (0 disables it), each minibatch's H copied into the first columns of a row view.
 */
final class BiasedInput implements AutoCloseable {
    private final Backend b;
    private final int inputDim;
    private final int width;
    private final Tensor hb;

    BiasedInput(Backend b, int maxBatch, int inputDim, float bias) {
        this.b = b;
        this.inputDim = inputDim;
        this.width = bias == 0f ? inputDim : inputDim + 1;
        this.hb = b.zeros(maxBatch, width);
        if (width > inputDim) {
            float[] col = new float[maxBatch * width];
            for (int i = 0; i < maxBatch; i++) {
                col[i * width + inputDim] = bias;
            }
            b.upload(col, hb);
        }
    }

    /** d, the width with the bias column. */
    int width() {
        return width;
    }

    /** The first m rows of Hb (views are made per call; callers that need a stable view keep it). */
    Tensor rows(int m) {
        return hb.rowRange(0, m);
    }

    /** Copies h (m x inputDim) into Hb and returns the m-row view of Hb. */
    Tensor load(Tensor h) {
        int m = h.rows();
        if (m < 1 || m > hb.rows() || h.cols() != inputDim) {
            throw new IllegalArgumentException("h must be m x " + inputDim + " with 1 <= m <= " + hb.rows() + ", is "
                    + h.shape());
        }
        Tensor v = hb.rowRange(0, m);
        b.copyColumns(h, 0, v, 0, inputDim);
        return v;
    }

    /** Copies h into an existing m-row view of Hb (the factored layer keeps its views per minibatch size). */
    void load(Tensor h, Tensor view) {
        if (h.rows() != view.rows() || h.cols() != inputDim) {
            throw new IllegalArgumentException("h must be " + view.rows() + "x" + inputDim + ", is " + h.shape());
        }
        b.copyColumns(h, 0, view, 0, inputDim);
    }

    @Override
    public void close() {
        hb.close();
    }
}
