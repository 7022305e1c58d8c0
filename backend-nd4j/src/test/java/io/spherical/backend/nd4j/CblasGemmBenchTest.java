package io.spherical.backend.nd4j;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The benchmark's direct cblas_sgemm computes what Nd4j.gemm computes, for every transpose it times. */
class CblasGemmBenchTest {
    @ParameterizedTest
    @CsvSource({"7,5,3,false,false", "7,5,3,true,false", "7,5,3,false,true", "7,5,3,true,true"})
    void directCblasAgreesWithNd4jGemm(int m, int n, int k, boolean ta, boolean tb) {
        Nd4j.getRandom().setSeed(3);
        INDArray a = Nd4j.rand(DataType.FLOAT, ta ? k : m, ta ? m : k).subi(0.5);
        INDArray b = Nd4j.rand(DataType.FLOAT, tb ? n : k, tb ? k : n).subi(0.5);
        INDArray viaNd4j = Nd4j.zeros(DataType.FLOAT, m, n);
        INDArray direct = Nd4j.zeros(DataType.FLOAT, m, n);
        Nd4j.gemm(a, b, viaNd4j, ta, tb, 1f, 0f);
        CblasGemmBench.direct(a, ta, b, tb, direct);
        double scale = viaNd4j.norm2Number().doubleValue();
        assertTrue(scale > 0.1, "a product that is not trivially zero");
        double diff = viaNd4j.sub(direct).norm2Number().doubleValue();
        assertTrue(diff <= 1e-6 * scale, "difference " + diff + " of " + scale);
    }
}
