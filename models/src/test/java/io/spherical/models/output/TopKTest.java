package io.spherical.models.output;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The heap selection against a full sort, with many ties, for k from 1 to past the row's length. */
class TopKTest {
    @Test
    void theHeapSelectsWhatSortingSelects() {
        Random r = new Random(3);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + r.nextInt(400);
            float[] row = new float[n + 5];
            for (int i = 0; i < n; i++) {
                row[i] = r.nextInt(4) == 0 ? (float) r.nextInt(5) : (float) r.nextGaussian();     // ties
            }
            row[n] = Float.MAX_VALUE;        // past n: must be ignored
            int k = 1 + r.nextInt(n + 3);
            int[] expected = IntStream.range(0, n).boxed()
                    .sorted(Comparator.<Integer>comparingDouble(i -> -row[i]).thenComparing(i -> i))
                    .limit(k).mapToInt(Integer::intValue).toArray();
            assertArrayEquals(expected, TopK.of(row, n, k), "n " + n + " k " + k);
        }
    }
}
