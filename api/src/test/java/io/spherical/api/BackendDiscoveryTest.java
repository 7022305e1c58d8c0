package io.spherical.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BackendDiscoveryTest {
    private final BackendDiscovery discovery = BackendDiscovery.discover();

    private BackendDiscovery.Selection select(String explicit, String prop, String env) {
        return discovery.select(explicit, k -> BackendDiscovery.PROPERTY.equals(k) ? prop : null,
                env == null ? Map.of() : Map.of(BackendDiscovery.ENV, env));
    }

    @Test
    void brokenEntryIsSkippedAndReported() {
        assertEquals(List.of("alpha", "beta", "down", "exploding"), discovery.names());
        assertEquals(1, discovery.loadFailures().size());
        assertTrue(discovery.loadFailures().get(0).contains("com.example.DoesNotExist"), discovery.loadFailures().toString());
    }

    @Test
    void highestAvailablePriorityWinsAndTiesGoByName() {
        BackendDiscovery.Selection s = select(null, null, null);
        assertEquals("alpha", s.candidate().provider().name());
        assertTrue(s.reason().contains("highest priority"));
    }

    @Test
    void explicitBeatsPropertyBeatsEnvironment() {
        assertEquals("beta", select("beta", "alpha", "alpha").candidate().provider().name());
        assertEquals("beta", select(null, "beta", "alpha").candidate().provider().name());
        assertEquals("beta", select(null, null, "BETA").candidate().provider().name());
        assertTrue(select(null, null, "beta").reason().contains(BackendDiscovery.ENV));
        assertTrue(select(null, "beta", null).reason().contains(BackendDiscovery.PROPERTY));
    }

    @Test
    void unknownForcedNameListsKnownNames() {
        NoBackendException e = assertThrows(NoBackendException.class, () -> select(null, "cuda", null));
        assertTrue(e.getMessage().contains("Unknown backend 'cuda'"), e.getMessage());
        assertTrue(e.getMessage().contains("system property spherical.backend"), e.getMessage());
        assertTrue(e.getMessage().contains("alpha, beta, down, exploding"), e.getMessage());
    }

    @Test
    void forcedUnavailableNameGivesTheReason() {
        NoBackendException e = assertThrows(NoBackendException.class, () -> select("down", null, null));
        assertTrue(e.getMessage().contains("no device plugged in"), e.getMessage());
    }

    @Test
    void throwingProbeCountsAsUnavailable() {
        NoBackendException e = assertThrows(NoBackendException.class, () -> select("exploding", null, null));
        assertTrue(e.getMessage().contains("driver crashed"), e.getMessage());
    }

    @Test
    void nothingUsableListsEveryProviderWithItsReason() {
        BackendDiscovery empty = BackendDiscovery.discover(new ClassLoader(null) { });
        NoBackendException e = assertThrows(NoBackendException.class,
                () -> empty.select(null, k -> null, Map.of()));
        assertTrue(e.getMessage().contains("Providers found: none"), e.getMessage());
        assertTrue(e.getMessage().contains("spherical-backend-nd4j"), e.getMessage());
        assertTrue(e.getMessage().contains("--backend NAME"), e.getMessage());
    }
}
