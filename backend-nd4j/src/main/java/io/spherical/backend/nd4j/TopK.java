package io.spherical.backend.nd4j;

import java.nio.FloatBuffer;

/** Partial selection of the k largest values of one row, with a small binary heap (O(n log k)). */
final class TopK {
    private TopK() {
    }

    /** Writes the indices of the k largest of {@code buf[off .. off+n)} into {@code out[o .. o+k)}, largest first. */
    static void row(FloatBuffer buf, int off, int n, int k, int[] out, int o) {
        if (k == 0) {
            return;
        }
        int[] heap = new int[k]; // min-heap of column indices under the order "worse first"
        int size = 0;
        for (int j = 0; j < n; j++) {
            if (size < k) {
                heap[size] = j;
                siftUp(buf, off, heap, size++);
            } else if (better(buf, off, j, heap[0])) {
                heap[0] = j;
                siftDown(buf, off, heap, k);
            }
        }
        for (int r = k - 1; r >= 0; r--) {
            out[o + r] = heap[0];
            heap[0] = heap[r];
            siftDown(buf, off, heap, r);
        }
    }

    /** Whether column i ranks above column j: larger value, NaN lowest, ties to the lower index. */
    private static boolean better(FloatBuffer buf, int off, int i, int j) {
        float a = buf.get(off + i);
        float b = buf.get(off + j);
        boolean an = a != a;
        boolean bn = b != b;
        if (an || bn) {
            return an == bn ? i < j : bn;
        }
        return a > b || (a == b && i < j);
    }

    private static void siftUp(FloatBuffer buf, int off, int[] h, int i) {
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (better(buf, off, h[p], h[i])) {
                int tmp = h[p];
                h[p] = h[i];
                h[i] = tmp;
                i = p;
            } else {
                return;
            }
        }
    }

    private static void siftDown(FloatBuffer buf, int off, int[] h, int size) {
        int i = 0;
        while (true) {
            int l = 2 * i + 1;
            int r = l + 1;
            int w = i;
            if (l < size && better(buf, off, h[w], h[l])) {
                w = l;
            }
            if (r < size && better(buf, off, h[w], h[r])) {
                w = r;
            }
            if (w == i) {
                return;
            }
            int tmp = h[w];
            h[w] = h[i];
            h[i] = tmp;
            i = w;
        }
    }
}
