package io.spherical.training;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;
import io.spherical.api.UserException;
import io.spherical.models.output.TopK;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * An approximate top-k index over the rows of an output layer's weights W (D x d): maximum inner product turned into
 * nearest neighbours by appending sqrt(M^2 - |w|^2) to every row (M the largest norm; a query gets a 0 there), k-means
 * clusters of the augmented rows (products on the backend), and W's rows stored cluster by cluster. A query scores the
 * centroids, keeps the {@code probes} nearest clusters and scores their rows exactly: the answer is exact among those
 * candidates, so recall, not score error, is what the number of probes trades for speed.
 */
final class ClusterIndex {
    private static final int MAGIC = 0x5350_4958;            // "SPIX"
    private final int classes;
    private final int width;
    private final int clusters;
    private final float[] centroids;     // clusters x width (the augmented coordinate dropped: queries have 0 there)
    private final float[] norms;         // |c|^2 of the augmented centroids
    private final int[] start;           // clusters + 1 offsets into order
    private final int[] order;           // class ids, cluster by cluster
    private final float[] rows;          // W's rows in that order
    int probes;

    private ClusterIndex(int classes, int width, int clusters, float[] centroids, float[] norms, int[] start, int[] order,
                         float[] rows, int probes) {
        this.classes = classes;
        this.width = width;
        this.clusters = clusters;
        this.centroids = centroids;
        this.norms = norms;
        this.start = start;
        this.order = order;
        this.rows = rows;
        this.probes = probes;
    }

    /** Builds the index of {@code w} (D x d, row-major) with {@code clusters} clusters and 8 k-means rounds. */
    static ClusterIndex build(Backend b, float[] w, int classes, int width, int clusters, long seed) {
        int a = width + 1;
        double max = 0;
        double[] n2 = new double[classes];
        for (int i = 0; i < classes; i++) {
            double s = 0;
            for (int j = 0; j < width; j++) {
                s += (double) w[i * width + j] * w[i * width + j];
            }
            n2[i] = s;
            max = Math.max(max, s);
        }
        float[] x = new float[classes * a];
        for (int i = 0; i < classes; i++) {
            System.arraycopy(w, i * width, x, i * a, width);
            x[i * a + width] = (float) Math.sqrt(Math.max(0, max - n2[i]));
        }
        Random r = new Random(seed);
        float[] c = new float[clusters * a];
        for (int j = 0; j < clusters; j++) {
            System.arraycopy(x, r.nextInt(classes) * a, c, j * a, a);
        }
        int[] assign = new int[classes];
        int block = Math.max(1, Math.min(classes, (32 << 20) / clusters));
        float[] host = new float[block * clusters];
        try (Tensor xt = b.fromHost(x, classes, a); Tensor sc = b.zeros(block, clusters)) {
            for (int round = 0; round < 8; round++) {
                float[] cn = new float[clusters];
                for (int j = 0; j < clusters; j++) {
                    for (int t = 0; t < a; t++) {
                        cn[j] += c[j * a + t] * c[j * a + t];
                    }
                }
                try (Tensor ct = b.fromHost(c, clusters, a)) {
                    for (int from = 0; from < classes; from += block) {
                        int n = Math.min(block, classes - from);
                        b.gemm(1f, xt.rowRange(from, from + n), false, ct, true, 0f, sc.rowRange(0, n));
                        b.download(sc.rowRange(0, n), host);
                        for (int i = 0; i < n; i++) {
                            int best = 0;
                            float bd = Float.POSITIVE_INFINITY;
                            for (int j = 0; j < clusters; j++) {
                                float dist = cn[j] - 2 * host[i * clusters + j];
                                if (dist < bd) {
                                    bd = dist;
                                    best = j;
                                }
                            }
                            assign[from + i] = best;
                        }
                    }
                }
                double[] sum = new double[clusters * a];
                int[] count = new int[clusters];
                for (int i = 0; i < classes; i++) {
                    count[assign[i]]++;
                    for (int t = 0; t < a; t++) {
                        sum[assign[i] * a + t] += x[i * a + t];
                    }
                }
                for (int j = 0; j < clusters; j++) {
                    for (int t = 0; t < a; t++) {
                        c[j * a + t] = count[j] == 0 ? x[r.nextInt(classes) * a + t] : (float) (sum[j * a + t] / count[j]);
                    }
                }
            }
        }
        int[] start = new int[clusters + 1];
        for (int i = 0; i < classes; i++) {
            start[assign[i] + 1]++;
        }
        for (int j = 0; j < clusters; j++) {
            start[j + 1] += start[j];
        }
        int[] fill = start.clone();
        int[] order = new int[classes];
        float[] rows = new float[classes * width];
        for (int i = 0; i < classes; i++) {
            int p = fill[assign[i]]++;
            order[p] = i;
            System.arraycopy(w, i * width, rows, p * width, width);
        }
        float[] cw = new float[clusters * width];
        float[] norms = new float[clusters];
        for (int j = 0; j < clusters; j++) {
            System.arraycopy(c, j * a, cw, j * width, width);
            for (int t = 0; t < a; t++) {
                norms[j] += c[j * a + t] * c[j * a + t];
            }
        }
        return new ClusterIndex(classes, width, clusters, cw, norms, start, order, rows, Math.max(1, clusters / 20));
    }

    /** The approximate top k for the query q (the layer's input with its bias, length d): ids, best first. */
    int[] topK(float[] q, int k, float[] scratchScores, int[] scratchIds) {
        float[] cs = new float[clusters];
        for (int j = 0; j < clusters; j++) {
            float dot = 0;
            for (int t = 0; t < width; t++) {
                dot += centroids[j * width + t] * q[t];
            }
            cs[j] = 2 * dot - norms[j];                     // larger is nearer
        }
        int[] near = TopK.of(cs, clusters, Math.min(probes, clusters));
        int n = 0;
        for (int j : near) {
            for (int p = start[j]; p < start[j + 1]; p++) {
                float dot = 0;
                int off = p * width;
                for (int t = 0; t < width; t++) {
                    dot += rows[off + t] * q[t];
                }
                scratchScores[n] = dot;
                scratchIds[n++] = order[p];
            }
        }
        int[] local = TopK.of(scratchScores, n, Math.min(k, n));
        int[] out = new int[local.length];
        for (int i = 0; i < local.length; i++) {
            out[i] = scratchIds[local[i]];
        }
        return out;
    }

    int classes() {
        return classes;
    }

    int clusters() {
        return clusters;
    }

    /** Writes the index (little-endian floats and ints after a small header). */
    void write(Path file) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (DataOutputStream o = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(tmp),
                1 << 20))) {
            o.writeInt(MAGIC);
            o.writeInt(classes);
            o.writeInt(width);
            o.writeInt(clusters);
            o.writeInt(probes);
            floats(o, centroids);
            floats(o, norms);
            ints(o, start);
            ints(o, order);
            floats(o, rows);
        }
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** Reads an index written by {@link #write}; a user error when it is not one or does not fit {@code classes}. */
    static ClusterIndex read(Path file, int classes, int width) {
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file), 1 << 20))) {
            if (in.readInt() != MAGIC || in.readInt() != classes || in.readInt() != width) {
                throw new UserException("The index " + file + " does not belong to this run. Fix: rebuild it with "
                        + "'spherical index --run DIR'.");
            }
            int c = in.readInt();
            int probes = in.readInt();
            return new ClusterIndex(classes, width, c, floats(in, c * width), floats(in, c), ints(in, c + 1),
                    ints(in, classes), floats(in, classes * width), probes);
        } catch (IOException | RuntimeException e) {
            if (e instanceof UserException u) {
                throw u;
            }
            throw new UserException("Cannot read the index " + file + " (" + e.getMessage() + "). Fix: rebuild it with "
                    + "'spherical index --run DIR'.", e);
        }
    }

    private static void floats(DataOutputStream o, float[] v) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(v);
        o.write(bb.array());
    }

    private static void ints(DataOutputStream o, int[] v) throws IOException {
        ByteBuffer bb = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asIntBuffer().put(v);
        o.write(bb.array());
    }

    private static float[] floats(DataInputStream in, int n) throws IOException {
        byte[] b = in.readNBytes(n * 4);
        float[] v = new float[n];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
        return v;
    }

    private static int[] ints(DataInputStream in, int n) throws IOException {
        byte[] b = in.readNBytes(n * 4);
        int[] v = new int[n];
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(v);
        return v;
    }
}
