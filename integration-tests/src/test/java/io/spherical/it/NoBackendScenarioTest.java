package io.spherical.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.BackendDiscovery;
import io.spherical.api.NoBackendException;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Runs in the surefire execution whose classpath holds no backend module. */
@Tag("no-backend")
class NoBackendScenarioTest {

    @Test
    void noProviderGivesTheHelpfulError() {
        BackendDiscovery d = BackendDiscovery.discover();
        assertEquals(0, d.candidates().size(), "this execution must see no provider");
        NoBackendException e = assertThrows(NoBackendException.class, () -> d.select(null, k -> null, Map.of()));
        String m = e.getMessage();
        assertTrue(m.startsWith("No usable compute backend. Providers found: none."), m);
        assertTrue(m.contains("io.spherical:spherical-backend-nd4j"), m);
        assertTrue(m.contains("--backend NAME") && m.contains("-Dspherical.backend=NAME") && m.contains("SPHERICAL_BACKEND=NAME"), m);
        assertTrue(!m.contains("\n"), "one line");
    }
}
