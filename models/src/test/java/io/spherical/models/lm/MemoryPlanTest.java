package io.spherical.models.lm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.UserException;
import io.spherical.models.lm.Vocabulary;
import io.spherical.models.loss.ZLoss;
import io.spherical.models.optim.OptimizerRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * The memory estimate made before a model is built: an upper bound of what the backend really allocates, within a
 * small factor of it (so it neither lets a model through that cannot fit nor refuses one that can), and refusals
 * that name the estimate and the largest array.
 */
class MemoryPlanTest {
    private static final long GIB = 1L << 30;

    static ModelConfig model(OutputKind kind, int context, int embedding, List<Integer> hidden) {
        return ModelConfig.builder().context(context).embedding(embedding).hidden(hidden).output(kind).build();
    }

    static Vocabulary vocabulary(int size) {
        List<String> words = new ArrayList<>();
        long[] counts = new long[size];
        for (int i = 0; i < size; i++) {
            words.add(i == 0 ? Vocabulary.EOS : i == 1 ? Vocabulary.UNK : "w" + i);
            counts[i] = size - i;
        }
        return new Vocabulary(words, counts);
    }

    @ParameterizedTest
    @EnumSource(OutputKind.class)
    void theEstimateBoundsWhatTheBackendAllocatesWithinAFactorOfFour(OutputKind kind) {
        int classes = 3000;
        int batch = 64;
        ModelConfig mc = model(kind, 3, 24, List.of(48, 40));
        long estimate = MemoryPlan.of(mc, classes, batch, "adam").bytes();
        try (Backend b = BackendDiscovery.discover().create("nd4j")) {
            long before = b.allocatedBytes();
            try (NgramLanguageModel m = new NgramLanguageModel(b, mc, vocabulary(classes), new ZLoss(),
                    OptimizerRegistry.discover().create("adam", Map.of()), batch)) {
                long used = b.allocatedBytes() - before;
                System.out.printf("memory plan %s: estimate %d bytes, allocated on the device %d (%.2fx)%n", kind,
                        estimate, used, estimate / (double) used);
                assertTrue(estimate >= used, "the estimate must bound the allocation: " + estimate + " < " + used);
                assertTrue(estimate <= 4 * used, "the estimate must stay within 4x: " + estimate + " vs " + used);
            }
        }
    }

    @Test
    void aMinibatchWiderThanTheLayerKeepsNoMByMMatrix() {
        // m = 40,000 > d = 257: the step's d x d form; the m x m form would have kept 13 matrices of 40,000^2 floats
        // (83 GB); what remains is about 0.8 GB of m x d buffers and the rest
        MemoryPlan p = MemoryPlan.of(model(OutputKind.FACTORED, 4, 64, List.of(256)), 13_190, 40_000, "sgd");
        assertTrue(p.bytes() < 2 * GIB, "estimate " + p.bytes());
        assertTrue(!p.largest().contains("m x m"), p.largest());
        p.check(24 * GIB, "lower --batch");
    }

    @Test
    void theFactoredLayersMByMMatricesAreCountedAndRefusedWhenTheMinibatchIsNoWiderThanTheLayer() {
        ModelConfig mc = model(OutputKind.FACTORED, 4, 64, List.of(30_000));          // d = 30,001
        MemoryPlan p = MemoryPlan.of(mc, 13_190, 30_000, "sgd");
        // 13 matrices of 30,000^2 floats (47 GB) and 8 of the d x d state (29 GB)
        assertTrue(p.bytes() > 4L * (13L * 30_000 * 30_000 + 8L * 30_001 * 30_001), "estimate " + p.bytes());
        UserException e = assertThrows(UserException.class, () -> p.check(24 * GIB, "lower --batch"));
        assertTrue(e.getMessage().contains("24.0 GiB is available") && e.getMessage().contains("Fix: lower --batch"),
                e.getMessage());
        p.check(Long.MAX_VALUE, "-"); // fits a machine that large
        // two examples more and the minibatch is wider than the layer: the m x m matrices are gone (13 m^2 floats),
        // 9 d x d buffers come instead, 14 GB less in all
        long wider = MemoryPlan.of(mc, 13_190, 30_002, "sgd").bytes();
        assertTrue(p.bytes() - wider > 4L * 3 * 30_000 * 30_000, p.bytes() + " against " + wider);
    }

    @Test
    void anArrayPastTwoToTheThirtyOneElementsIsRefusedWhateverTheMemory() {
        MemoryPlan p = MemoryPlan.of(model(OutputKind.FACTORED, 4, 64, List.of(100_000_000)), 1000, 200, "sgd");
        UserException e = assertThrows(UserException.class, () -> p.check(Long.MAX_VALUE, "lower --hidden"));
        // the d x d state of the factored layer (100,000,001^2) is the largest; the hidden weights exceed 2^31 too
        assertTrue(e.getMessage().contains("single array of the d x d state (100000001 x 100000001)")
                && e.getMessage().contains("2^31") && e.getMessage().contains("Fix: lower --hidden"), e.getMessage());
    }

    @Test
    void sizesSaturateInsteadOfWrappingAround() {
        MemoryPlan p = MemoryPlan.of(model(OutputKind.SOFTMAX, Integer.MAX_VALUE, Integer.MAX_VALUE,
                List.of(Integer.MAX_VALUE, Integer.MAX_VALUE)), Integer.MAX_VALUE, Integer.MAX_VALUE, "adam");
        assertEquals(Long.MAX_VALUE, p.bytes());
        assertEquals(Long.MAX_VALUE, MemoryPlan.times(Long.MAX_VALUE / 2, 3));
        assertEquals(6, MemoryPlan.times(2, 3));
        UserException e = assertThrows(UserException.class, () -> p.check(Long.MAX_VALUE, "-"));
        assertTrue(e.getMessage().contains("single array"), e.getMessage());
    }

    @Test
    void theAvailableMemoryIsPositiveAndAtMostTheMachine() {
        long avail = MemoryPlan.availableBytes();
        long total = ((com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
        assertTrue(avail > 0 && avail <= total, avail + " of " + total);
        assertEquals("1.5 GiB", MemoryPlan.human(3L << 29));
        assertEquals("512.0 MiB", MemoryPlan.human(1L << 29));
    }
}
