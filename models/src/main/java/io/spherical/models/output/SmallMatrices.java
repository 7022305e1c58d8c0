package io.spherical.models.output;

/**
 * The two m x m matrices of a factored step in its m x m form ({@link BatchProducts}), built on the host in double
 * from m x m products (docs/ALGORITHM.md 5):
 * {@code M = G G^T} (step 7), which the Q update needs, and {@code K = I + H H^T C} with {@code C = -2 eta diag(fq)}
 * (step 9), which the Woodbury update of U^-1 inverts.
 */
final class SmallMatrices {
    private SmallMatrices() {
    }

    /**
     * Fills {@code buf.gram} with M and {@code buf.k} with K from {@code buf.p} (H Q H^T), {@code buf.r}
     * ({@code R_ij = h_i . (fs_j wbar + fa_j W_C[j])}), {@code buf.hh} (H H^T) and the partials.
     */
    static void build(StepBuffers buf, int[] targets, int m, float eta, int classes) {
        double[] fq = buf.fq;
        double[] fs = buf.fs;
        double[] fa = buf.fa;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                double rij = buf.r[i * m + j];
                double rji = buf.r[j * m + i];
                double val = 4.0 * fq[i] * buf.p[i * m + j] * fq[j]
                        + (double) classes * fs[i] * fs[j]
                        + fs[i] * fa[j] + fa[i] * fs[j]
                        + 2.0 * fq[i] * rij + 2.0 * fq[j] * rji;
                if (targets[i] == targets[j]) {
                    val += fa[i] * fa[j];   // two examples with the same target share its row of Y'
                }
                buf.gram[i * m + j] = (float) val;
                buf.k[i * m + j] = (float) ((i == j ? 1.0 : 0.0) + buf.hh[i * m + j] * (-2.0 * eta * fq[j]));
            }
        }
    }
}
