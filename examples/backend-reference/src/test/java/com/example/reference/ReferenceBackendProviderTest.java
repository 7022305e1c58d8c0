package com.example.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Tensor;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The reference backend is found through its services line, comes last in priority, and is chosen only by name or when
 * nothing else can run: with ND4J on this classpath, discovery must pick ND4J.
 */
class ReferenceBackendProviderTest {

    @Test
    void itIsDiscoveredWithTheLowestPriority() {
        BackendDiscovery d = BackendDiscovery.discover();
        assertTrue(d.names().contains(ReferenceBackendProvider.NAME), "found by ServiceLoader: " + d.names());
        for (BackendDiscovery.Candidate c : d.candidates()) {
            if (!c.provider().name().equals(ReferenceBackendProvider.NAME)) {
                assertTrue(c.provider().priority() > ReferenceBackendProvider.PRIORITY, c.describe());
            }
        }
    }

    @Test
    void ndFourJIsChosenOverItWhenPresent() {
        BackendDiscovery d = BackendDiscovery.discover();
        BackendDiscovery.Candidate nd4j = d.candidates().stream()
                .filter(c -> c.provider().name().equals("nd4j")).findFirst().orElseThrow();
        assumeTrue(nd4j.probe().available(), () -> "ND4J cannot run here: " + nd4j.probe().detail());
        // no forced name (an empty environment and no system property), so the priority rule decides
        BackendDiscovery.Selection s = d.select(null, name -> null, Map.of());
        assertEquals("nd4j", s.candidate().provider().name(), s.reason());
    }

    @Test
    void byNameItIsCreatedAndComputes() {
        BackendDiscovery d = BackendDiscovery.discover();
        BackendDiscovery.Selection s = d.select(ReferenceBackendProvider.NAME, name -> null, Map.of());
        try (Backend b = s.candidate().provider().create()) {
            assertEquals(ReferenceBackendProvider.NAME, b.name());
            Tensor a = b.fromHost(new float[] {1, 2, 3, 4}, 2, 2);
            Tensor c = b.zeros(2, 2);
            b.gemm(1f, a, false, a, false, 0f, c);
            assertArrayEquals(new float[] {7, 10, 15, 22}, b.toHost(c));
        }
    }
}
