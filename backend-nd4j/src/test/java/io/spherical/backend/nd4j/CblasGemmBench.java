package io.spherical.backend.nd4j;

import java.util.Arrays;
import java.util.Locale;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * GEMM two ways on the same off-heap memory, in one process: {@code Nd4j.gemm} (what the backend calls) and a direct
 * {@code cblas_sgemm} into the OpenBLAS library ND4J itself loaded ({@code openblas_nolapack}), at 1 and 2 BLAS threads.
 * Whichever OpenBLAS is on the classpath is the one measured: run it with ND4J's bundled 0.3.19 and with the pinned
 * 0.3.31 ({@code benchmarks/scripts/gemm-paths.sh} does both). Not a test: a benchmark with a main; arguments
 * {@code [D] [repeats]}. Prints one CSV line per shape and thread count.
 */
public final class CblasGemmBench {
    private CblasGemmBench() {
    }

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        int vocab = args.length > 0 ? Integer.parseInt(args[0]) : 793_471;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        String lib = openblas_nolapack.class.getProtectionDomain().getCodeSource().getLocation().getPath();
        System.out.println("openblas," + lib.substring(lib.lastIndexOf('/') + 1));
        System.out.println("threads,shape,nd4j_gflops,cblas_gflops,cblas_over_nd4j");
        int[][] shapes = {{513, 513, 200, 1, 0}, {200, 513, 513, 0, 1}, {200, 2048, 2048, 0, 1}, {200, 5120, 2048, 0, 1},
            {200, vocab, 513, 0, 1}};
        for (int threads : new int[] {1, 2}) {
            Nd4j.factory().blas().setMaxThreads(threads);
            for (int[] s : shapes) {
                boolean ta = s[3] == 1;
                boolean tb = s[4] == 1;
                INDArray a = Nd4j.rand(DataType.FLOAT, ta ? s[2] : s[0], ta ? s[0] : s[2]);
                INDArray b = Nd4j.rand(DataType.FLOAT, tb ? s[1] : s[2], tb ? s[2] : s[1]);
                INDArray c = Nd4j.zeros(DataType.FLOAT, s[0], s[1]);
                int n = (long) s[0] * s[1] * s[2] > 1L << 30 ? Math.max(3, repeats / 5) : repeats;
                double flop = 2.0 * s[0] * s[1] * s[2];
                double nd4j = flop / median(n, () -> Nd4j.gemm(a, b, c, ta, tb, 1f, 0f)) / 1e6;
                double direct = flop / median(n, () -> direct(a, ta, b, tb, c)) / 1e6;
                System.out.printf("%d,%s%s %dx%dx%d,%.1f,%.1f,%.2f%n", threads, ta ? "T" : "N", tb ? "T" : "N", s[0], s[1],
                        s[2], nd4j, direct, direct / nd4j);
            }
        }
    }

    /** C = op(A) op(B) by cblas_sgemm on the arrays' own memory (row-major, offset 0). */
    static void direct(INDArray a, boolean ta, INDArray b, boolean tb, INDArray c) {
        int m = (int) c.rows();
        int n = (int) c.columns();
        int k = (int) (ta ? a.rows() : a.columns());
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                ta ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                tb ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans, m, n, k, 1f, pointer(a),
                (int) a.columns(), pointer(b), (int) b.columns(), 0f, pointer(c), n);
    }

    private static FloatPointer pointer(INDArray x) {
        if (x.ordering() != 'c' || x.offset() != 0 || x.isView()) {
            throw new IllegalArgumentException("direct cblas needs a fresh row-major array");
        }
        return new FloatPointer(x.data().addressPointer());
    }

    /** Median milliseconds of {@code n} runs after 2 warm-ups. */
    private static double median(int n, Runnable r) {
        double[] ms = new double[n];
        for (int i = -2; i < n; i++) {
            long t = System.nanoTime();
            r.run();
            if (i >= 0) {
                ms[i] = (System.nanoTime() - t) / 1e6;
            }
        }
        Arrays.sort(ms);
        return ms[n / 2];
    }
}
