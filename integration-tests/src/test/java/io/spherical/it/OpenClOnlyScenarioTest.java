package io.spherical.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.NoBackendException;
import io.spherical.api.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Only the OpenCL backend on the classpath: chosen when a platform exists, else the error carries its reason. */
@Tag("opencl-only")
class OpenClOnlyScenarioTest {

    @Test
    void openClAloneIsChosenOrExplainsWhyNot() {
        BackendDiscovery d = BackendDiscovery.discover();
        assertEquals(List.of("opencl"), d.names());
        BackendDiscovery.Candidate c = d.candidates().get(0);
        if (c.probe().available()) {
            BackendDiscovery.Selection s = d.select(null, k -> null, Map.of());
            assertEquals("opencl", s.candidate().provider().name());
            try (Backend b = s.candidate().provider().create(); Tensor t = b.fromHost(new float[] {1, 2, 3}, 1, 3)) {
                assertArrayEquals(new float[] {1, 2, 3}, b.toHost(t));
            }
        } else {
            NoBackendException e = assertThrows(NoBackendException.class, () -> d.select(null, k -> null, Map.of()));
            assertTrue(e.getMessage().contains(c.probe().detail()), e.getMessage());
        }
    }
}
