package io.spherical.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.UserException;
import io.spherical.models.output.TopK;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The approximate index: exact when every cluster is probed, a subset ranked exactly otherwise, saved and read back. */
class ClusterIndexTest {
    @Test
    void probingEveryClusterIsExactAndFewerProbesRankTheirCandidatesExactly(@TempDir Path tmp) throws Exception {
        int classes = 600;
        int width = 9;
        Random r = new Random(4);
        float[] w = new float[classes * width];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (r.nextGaussian() * (1 + (i / width) % 5));      // rows of different norms (MIPS, not NN)
        }
        try (Backend b = BackendDiscovery.discover().create("nd4j")) {
            ClusterIndex idx = ClusterIndex.build(b, w, classes, width, 24, 3);
            float[] scores = new float[classes];
            int[] ids = new int[classes];
            float[] exact = new float[classes];
            for (int t = 0; t < 50; t++) {
                float[] q = new float[width];
                for (int j = 0; j < width; j++) {
                    q[j] = (float) r.nextGaussian();
                }
                for (int c = 0; c < classes; c++) {
                    float s = 0;
                    for (int j = 0; j < width; j++) {
                        s += w[c * width + j] * q[j];
                    }
                    exact[c] = s;
                }
                idx.probes = 24;
                assertArrayEquals(TopK.of(exact, classes, 10), idx.topK(q, 10, scores, ids), "all clusters probed");
                idx.probes = 3;
                int[] some = idx.topK(q, 10, scores, ids);
                for (int i = 1; i < some.length; i++) {
                    assertTrue(exact[some[i - 1]] >= exact[some[i]], "ranked by the exact score");
                }
            }
            Path f = tmp.resolve("index.bin");
            idx.probes = 5;
            idx.write(f);
            ClusterIndex back = ClusterIndex.read(f, classes, width);
            float[] q = {1, 2, 3, 4, 5, 6, 7, 8, 9};
            assertArrayEquals(idx.topK(q, 10, scores, ids), back.topK(q, 10, scores, ids), "read back");
            assertThrows(UserException.class, () -> ClusterIndex.read(f, classes + 1, width), "another run's index");
            Files.write(f, new byte[] {1, 2, 3});
            assertThrows(UserException.class, () -> ClusterIndex.read(f, classes, width), "a damaged index");
        }
    }
}
