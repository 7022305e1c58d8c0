package io.spherical.distributed;

import io.spherical.api.Collective;
import io.spherical.api.Collectives;
import io.spherical.api.UserException;
import java.time.Duration;
import java.util.Arrays;

/**
 * One worker process of {@link GlooCollectiveTest}: {@code rank size port scenario} (port 0 for rank 0, with the token
 * and port file of {@link LocalGroup}). Scenario {@code ops} runs every
 * operation and prints its results on one line; {@code die} makes the last rank halt after the first barrier, and the
 * others print the error their next call gives.
 */
public final class CollectiveWorker {
    private CollectiveWorker() {
    }

    public static void main(String[] args) {
        int rank = Integer.parseInt(args[0]);
        int size = Integer.parseInt(args[1]);
        int port = Integer.parseInt(args[2]);
        String scenario = args[3];
        try (Collective c = Collectives.join(rank, size, LocalGroup.address(port, Duration.ofSeconds(20)))) {
            float[] v = new float[5];
            for (int i = 0; i < v.length; i++) {
                v[i] = rank + 1 + 10 * i + 0.25f;
            }
            c.barrier();
            if (scenario.equals("die") && rank == size - 1) {
                Runtime.getRuntime().halt(9);
            }
            c.allReduceSum(v, 1, 3);
            float[] all = new float[2 * size];
            c.allGather(new float[] {rank, -rank * 0.5f, 99f}, 2, all);
            int[] ids = new int[3 * size];
            c.allGather(new int[] {rank, 100 + rank, Integer.MAX_VALUE - rank}, 3, ids);
            float[] b = {rank, rank, rank};
            c.broadcast(b, size - 1);
            c.barrier();
            System.out.println("rank=" + c.rank() + " size=" + c.size() + " reduce=" + Arrays.toString(v) + " gather="
                    + Arrays.toString(all) + " ids=" + Arrays.toString(ids) + " bcast=" + Arrays.toString(b) + " bytes="
                    + c.bytesSent());
        } catch (UserException e) {
            System.out.println("error: " + e.getMessage());
            System.exit(2);
        }
    }
}
