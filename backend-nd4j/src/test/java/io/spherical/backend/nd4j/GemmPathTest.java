package io.spherical.backend.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Tensor;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The backend's GEMM (a direct cblas_sgemm, ND4J's path for matrix-vector products and rank-one updates) gives the
 * same bits as {@code Nd4j.gemm} on the same operands, so that switching paths changed no training result: the
 * factored step's shapes, views at an offset, vector shapes and k = 1 with beta != 0 (which sgemm rounds differently).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class GemmPathTest {
    private Backend backend;

    @BeforeAll
    void open() {
        backend = BackendDiscovery.discover().create("nd4j");
    }

    @AfterAll
    void close() {
        backend.close();
    }

    @ParameterizedTest(name = "{0}x{1}x{2} transA={3} transB={4} beta={5}")
    @CsvSource({"513,513,200,true,false,0", "513,513,200,true,false,1", "200,513,513,false,false,0",
        "200,513,513,false,true,1", "200,200,513,false,true,0", "200,513,200,false,false,1", "257,1,257,true,false,0",
        "1,1,257,true,false,0", "1,513,200,true,false,1", "200,1,513,false,false,0", "513,513,1,true,false,1",
        "200,513,1,false,false,0.5", "2000,513,2,false,true,0.5"})
    void sameBitsAsNd4jGemm(int m, int n, int k, boolean ta, boolean tb, float beta) {
        Random r = new Random(m * 31L + n * 7L + k);
        int ar = ta ? k : m;
        int ac = ta ? m : k;
        int br = tb ? n : k;
        int bc = tb ? k : n;
        float[] af = random(r, (ar + 3) * ac);
        float[] bf = random(r, br * bc);
        float[] cf = random(r, (m + 5) * n);
        try (Tensor a = backend.fromHost(af, ar + 3, ac); Tensor b = backend.fromHost(bf, br, bc);
             Tensor c = backend.fromHost(cf, m + 5, n)) {
            backend.gemm(0.7f, a.rowRange(3, ar + 3), ta, b, tb, beta, c.rowRange(5, m + 5));
            INDArray na = Nd4j.create(af, new long[] {ar + 3, ac}, DataType.FLOAT);
            INDArray nb = Nd4j.create(bf, new long[] {br, bc}, DataType.FLOAT);
            INDArray nc = Nd4j.create(cf, new long[] {m + 5, n}, DataType.FLOAT);
            INDArray cView = Nd4j.create(nc.data(), new long[] {m, n}, new long[] {n, 1}, 5L * n, 'c');
            INDArray aView = Nd4j.create(na.data(), new long[] {ar, ac}, new long[] {ac, 1}, 3L * ac, 'c');
            Nd4j.gemm(aView, nb, cView, ta, tb, 0.7f, beta);
            float[] got = backend.toHost(c);
            float[] want = nc.data().asFloat();
            int differ = 0;
            for (int i = 0; i < got.length; i++) {
                differ += Float.floatToRawIntBits(got[i]) == Float.floatToRawIntBits(want[i]) ? 0 : 1;
            }
            assertEquals(0, differ, "elements whose bits differ from Nd4j.gemm's");
        }
    }

    private static float[] random(Random r, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (r.nextDouble() - 0.5);
        }
        return x;
    }
}
