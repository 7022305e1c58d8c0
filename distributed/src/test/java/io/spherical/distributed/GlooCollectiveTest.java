package io.spherical.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Collective;
import io.spherical.api.Collectives;
import io.spherical.api.GroupAddress;
import io.spherical.api.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Gloo among real processes on the loopback interface (rank 0's port chosen by the OS and published to the others,
 * every process reaped, admitted with the group token of {@link LocalGroup}): each operation gives every rank the
 * exact expected values; a worker that dies makes the others fail with one clear line.
 */
class GlooCollectiveTest {

    @BeforeAll
    static void unpackTheNativesOnce() {
        GlooProvider.preload();     // the workers then find libtorch in the cache instead of unpacking it together
    }

    private static List<Process> start(int size, String scenario, Path dir) throws Exception {
        List<Process> ps = new ArrayList<>();
        try {
            LocalGroup.start(size, dir, CollectiveWorker.class, (r, port) -> List.of("" + r, "" + size, "" + port,
                    scenario), port -> { }, ps);
        } catch (Exception | AssertionError e) {
            ps.forEach(Process::destroyForcibly);
            throw e;
        }
        return ps;
    }

    private static String result(Path dir, int r) throws IOException {
        return Files.readAllLines(dir.resolve("rank" + r + ".log")).stream()
                .filter(l -> l.startsWith("rank=") || l.startsWith("error:")).findFirst().orElse("");
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 4})
    void everyOperationGivesEveryRankTheExactResult(int size, @TempDir Path dir) throws Exception {
        List<Process> ps = start(size, "ops", dir);
        try {
            for (Process p : ps) {
                assertTrue(p.waitFor(2, TimeUnit.MINUTES), "a worker did not finish");
            }
            float[] reduce = new float[5];
            float[] gather = new float[2 * size];
            int[] ids = new int[3 * size];
            for (int i = 0; i < 5; i++) {
                reduce[i] = 1 + 10 * i + 0.25f;        // rank 0's value, kept outside [1, 4)
            }
            for (int r = 0; r < size; r++) {
                gather[2 * r] = r;
                gather[2 * r + 1] = -r * 0.5f;
                ids[3 * r] = r;
                ids[3 * r + 1] = 100 + r;
                ids[3 * r + 2] = Integer.MAX_VALUE - r;
            }
            for (int i = 1; i < 4; i++) {
                float sum = 0;
                for (int r = 0; r < size; r++) {
                    sum += r + 1 + 10 * i + 0.25f;
                }
                reduce[i] = sum;
            }
            long bytes = 2L * (size - 1) * 3 * 4 / size + (size - 1) * 2L * 4 + (size - 1) * 3L * 4;
            for (int r = 0; r < size; r++) {
                float[] mine = reduce.clone();
                for (int i : new int[] {0, 4}) {
                    mine[i] = r + 1 + 10 * i + 0.25f;   // outside the reduced range: untouched
                }
                long sent = bytes + (r == size - 1 ? (size - 1) * 3L * 4 : 0);
                float b = size - 1;
                assertEquals("rank=" + r + " size=" + size + " reduce=" + Arrays.toString(mine) + " gather="
                        + Arrays.toString(gather) + " ids=" + Arrays.toString(ids) + " bcast=" + Arrays.toString(
                        new float[] {b, b, b}) + " bytes=" + sent, result(dir, r));
                assertEquals(0, ps.get(r).exitValue());
            }
        } finally {
            ps.forEach(Process::destroyForcibly);
        }
    }

    @Test
    void aWorkerThatDiesMakesTheOthersStopWithOneClearLine(@TempDir Path dir) throws Exception {
        int size = 3;
        List<Process> ps = start(size, "die", dir);
        try {
            long t0 = System.nanoTime();
            for (Process p : ps) {
                assertTrue(p.waitFor(2, TimeUnit.MINUTES), "a worker hangs after its peer died");
            }
            assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(60), "the survivors stop within the timeout");
            assertEquals(9, ps.get(size - 1).exitValue());
            for (int r = 0; r < size - 1; r++) {
                String line = result(dir, r);
                assertEquals(2, ps.get(r).exitValue(), line);
                assertTrue(line.startsWith("error: Worker " + r + " of 3: a collective operation failed")
                        && line.contains("Fix: relaunch every worker"), line);
            }
        } finally {
            ps.forEach(Process::destroyForcibly);
        }
    }

    @Test
    void oneProcessNeedsNoLibraryAndImpossibleRanksAreRefused() {
        Collective c = Collectives.join(0, 1, GroupAddress.single());
        float[] v = {1, 2};
        c.allReduceSum(v, 0, 2);
        float[] all = new float[2];
        c.allGather(new float[] {3, 4}, 2, all);
        assertEquals("[1.0, 2.0] [3.0, 4.0] 0", Arrays.toString(v) + " " + Arrays.toString(all) + " " + c.bytesSent());
        UserException e = org.junit.jupiter.api.Assertions.assertThrows(UserException.class,
                () -> Collectives.join(2, 2, new GroupAddress("127.0.0.1", 1, null, new byte[] {1},
                        Duration.ofSeconds(1), null)));
        assertTrue(e.getMessage().contains("Rank 2 of 2 workers is impossible"), e.getMessage());
        assertEquals(List.of("gloo"), Collectives.providers().stream().map(p -> p.name()).toList());
    }
}
