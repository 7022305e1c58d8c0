package io.spherical.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.NoBackendException;
import io.spherical.api.Tensor;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Discovery with only the ND4J backend on the classpath (surefire execution nd4j-only). */
@org.junit.jupiter.api.Tag("nd4j-only")
class DiscoveryScenariosTest {

    @Test
    void onlyNd4jOnTheClasspathIsChosenAndWorks() {
        BackendDiscovery d = BackendDiscovery.discover();
        assertEquals(java.util.List.of("nd4j"), d.names());
        BackendDiscovery.Selection s = d.select(null, k -> null, Map.of());
        assertEquals("nd4j", s.candidate().provider().name());
        assertTrue(s.reason().contains("highest priority"), s.reason());
        try (Backend b = s.candidate().provider().create(); Tensor t = b.fromHost(new float[] {1, 2}, 1, 2)) {
            assertArrayEquals(new float[] {1, 2}, b.toHost(t));
        }
    }

    @Test
    void forcedUnknownNameListsTheKnownNames() {
        NoBackendException e = assertThrows(NoBackendException.class,
                () -> BackendDiscovery.discover().select(null, k -> null, Map.of(BackendDiscovery.ENV, "tornado")));
        assertTrue(e.getMessage().startsWith("Unknown backend 'tornado' (from environment variable SPHERICAL_BACKEND)"),
                e.getMessage());
        assertTrue(e.getMessage().contains("Known backends: nd4j"), e.getMessage());
    }

    @Test
    void servicesEntryNamingAMissingClassIsSkippedAndReported(@TempDir Path dir) throws IOException {
        Path services = dir.resolve("META-INF/services");
        Files.createDirectories(services);
        Files.writeString(services.resolve("io.spherical.api.BackendProvider"), "org.example.GhostBackendProvider\n");
        try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()},
                DiscoveryScenariosTest.class.getClassLoader())) {
            BackendDiscovery d = BackendDiscovery.discover(loader);
            assertEquals(1, d.loadFailures().size());
            assertTrue(d.loadFailures().get(0).contains("org.example.GhostBackendProvider"), d.loadFailures().toString());
            assertEquals("nd4j", d.select(null, k -> null, Map.of()).candidate().provider().name());
            NoBackendException e = assertThrows(NoBackendException.class, () -> d.select("ghost", k -> null, Map.of()));
            assertTrue(e.getMessage().contains("Providers that failed to load: ")
                    && e.getMessage().contains("org.example.GhostBackendProvider"), e.getMessage());
        }
    }
}
