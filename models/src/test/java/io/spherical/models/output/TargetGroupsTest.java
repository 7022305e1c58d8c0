package io.spherical.models.output;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The numbering of a minibatch's distinct targets that the d x d form of the factored step sums rows by. */
class TargetGroupsTest {

    @Test
    void repeatedTargetsShareTheNumberOfTheirFirstAppearance() {
        TargetGroups g = new TargetGroups(8);
        int[] groups = new int[8];
        assertEquals(4, g.number(new int[] {7, 3, 7, 900_000, 3, 3, 0, 7}, 8, groups));
        assertArrayEquals(new int[] {0, 1, 0, 2, 1, 1, 3, 0}, groups);
    }

    @Test
    void distinctTargetsAreNumberedInOrderAndEarlierMinibatchesLeaveNoTrace() {
        TargetGroups g = new TargetGroups(5);
        int[] groups = new int[5];
        assertEquals(1, g.number(new int[] {4, 4, 4, 4, 4}, 5, groups));
        assertArrayEquals(new int[] {0, 0, 0, 0, 0}, groups);
        // the same ids again, now distinct: the previous minibatch's table must not be seen
        assertEquals(5, g.number(new int[] {9, 4, 1, 2, 3}, 5, groups));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, groups);
        int[] three = new int[3];
        assertEquals(2, g.number(new int[] {2, 9, 2, 1, 1}, 3, three), "only the first m targets count");
        assertArrayEquals(new int[] {0, 1, 0}, three);
    }

    @Test
    void agreesWithAHashMapOnRandomZipfLikeMinibatches() {
        Random r = new Random(3);
        TargetGroups g = new TargetGroups(512);
        int[] groups = new int[512];
        for (int trial = 0; trial < 200; trial++) {
            int m = 1 + r.nextInt(512);
            int[] t = new int[m];
            for (int i = 0; i < m; i++) {
                t[i] = (int) Math.floor(Math.exp(r.nextDouble() * Math.log(1_000_000)));   // many repeats of small ids
            }
            Map<Integer, Integer> expected = new HashMap<>();
            int[] want = new int[m];
            for (int i = 0; i < m; i++) {
                want[i] = expected.computeIfAbsent(t[i], k -> expected.size());
            }
            assertEquals(expected.size(), g.number(t, m, groups));
            for (int i = 0; i < m; i++) {
                assertEquals(want[i], groups[i], "trial " + trial + ", example " + i);
            }
        }
    }

    @Test
    void aMinibatchLargerThanTheTableIsRefused() {
        TargetGroups g = new TargetGroups(4);
        // the table holds at least 4 (a power of two at least twice that, half full at most)
        assertThrows(IllegalArgumentException.class, () -> g.number(new int[100], 100, new int[100]));
        assertThrows(IllegalArgumentException.class, () -> new TargetGroups(0));
    }
}
