package com.example.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Tensor;
import io.spherical.testkit.Availability;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.junit.jupiter.api.Test;

/**
 * A library user's project gets the native stack Spherical was tested with. This project has no parent: its versions
 * come from importing spherical-bom, never from the build's own dependency management. The tested versions are the
 * ones spherical-backend-nd4j records in its jar ({@code natives.properties}, written from the BOM's properties when
 * it is built); the test checks that exactly those JavaCPP and OpenBLAS jars are on the classpath (the Java bindings and
 * the platform's natives, no second version such as ND4J's own JavaCPP 1.5.7 / OpenBLAS 0.3.19), and that the
 * natives the ND4J backend loads for a GEMM are the ones unpacked from those jars.
 */
class TestedNativesTest {
    private static final String NATIVES = "io/spherical/backend/nd4j/natives.properties";

    /** What spherical-backend-nd4j was built and tested with. */
    private static Properties tested() throws IOException {
        Properties p = new Properties();
        try (InputStream in = TestedNativesTest.class.getClassLoader().getResourceAsStream(NATIVES)) {
            assertNotNull(in, NATIVES + " is missing from spherical-backend-nd4j");
            p.load(in);
        }
        for (String key : List.of("javacpp.version", "openblas.version", "platform")) {
            String v = p.getProperty(key, "");
            assertTrue(!v.isEmpty() && !v.contains("${"), key + " not filled in: '" + v + "'");
        }
        return p;
    }

    /** The version in every copy of org.bytedeco:ARTIFACT's pom.properties on the classpath, by the URL of its copy. */
    private static Map<String, String> onClasspath(String artifact) throws IOException {
        Map<String, String> found = new TreeMap<>();
        Enumeration<URL> copies = TestedNativesTest.class.getClassLoader()
                .getResources("META-INF/maven/org.bytedeco/" + artifact + "/pom.properties");
        while (copies.hasMoreElements()) {
            URL u = copies.nextElement();
            Properties p = new Properties();
            try (InputStream in = u.openStream()) {
                p.load(in);
            }
            found.put(u.toString(), p.getProperty("version"));
        }
        return found;
    }

    @Test
    void onlyTheTestedJavaCppAndOpenBlasJarsAreOnTheClasspath() throws IOException {
        Properties t = tested();
        String platform = t.getProperty("platform");
        for (String artifact : List.of("javacpp", "openblas")) {
            String version = t.getProperty(artifact + ".version");
            Map<String, String> jars = onClasspath(artifact);
            System.out.printf("%s on the classpath: %s%n", artifact, jars);
            jars.forEach((where, v) -> assertEquals(version, v, artifact + " " + v + " from " + where
                    + ": only the tested " + version + " may be on the classpath"));
            String natives = artifact + "-" + version + "-" + platform + ".jar";
            assertTrue(jars.keySet().stream().anyMatch(u -> u.contains(natives)), "the natives " + natives
                    + " must be on the classpath: " + jars.keySet());
        }
    }

    @Test
    void theNd4jBackendRunsOnTheTestedJavaCppAndOpenBlas() throws IOException {
        Properties t = tested();
        String javacpp = t.getProperty("javacpp.version");
        String openblas = t.getProperty("openblas.version");
        BackendDiscovery d = BackendDiscovery.discover();
        BackendDiscovery.Candidate nd4j = d.candidates().stream()
                .filter(c -> c.provider().name().equals("nd4j")).findFirst().orElseThrow();
        // skipped where ND4J has no natives for the platform, a failure where SPHERICAL_REQUIRE names nd4j (CI)
        Availability.requireOrSkip("nd4j", nd4j.probe());
        try (Backend b = nd4j.provider().create()) {
            // a 2 x 2 GEMM goes to OpenBLAS's cblas_sgemm: this loads OpenBLAS through JavaCPP
            Tensor a = b.fromHost(new float[] {1, 2, 3, 4}, 2, 2);
            Tensor c = b.zeros(2, 2);
            b.gemm(1f, a, false, a, false, 0f, c);
            assertArrayEquals(new float[] {7, 10, 15, 22}, b.toHost(c));
        }
        assertEquals(javacpp, Loader.getVersion(), "the JavaCPP running");
        String bindings = String.valueOf(openblas_nolapack.class.getProtectionDomain().getCodeSource().getLocation());
        assertTrue(bindings.endsWith("openblas-" + openblas + ".jar"), "the OpenBLAS bindings come from " + bindings);
        // JavaCPP unpacks the natives of a jar into a folder named after the jar (~/.javacpp/cache/JAR/...)
        Map<?, ?> loaded = Loader.getLoadedLibraries();
        System.out.printf("native libraries loaded: %s%n", loaded);
        List<String> openBlasLibraries = new ArrayList<>();
        for (Object value : loaded.values()) {
            String path = String.valueOf(value).replace('\\', '/');
            if (path.contains("/org/bytedeco/openblas/")) {
                openBlasLibraries.add(path);
                assertTrue(path.contains("/openblas-" + openblas + "-"), "OpenBLAS loaded from " + path
                        + ", not from the tested openblas-" + openblas + " natives");
            } else if (path.contains("/org/bytedeco/javacpp/")) {
                assertTrue(path.contains("/javacpp-" + javacpp + "-"), "JavaCPP's natives loaded from " + path
                        + ", not from the tested javacpp-" + javacpp + " natives");
            }
        }
        assertTrue(!openBlasLibraries.isEmpty(), "the GEMM must have loaded OpenBLAS's natives: " + loaded);
    }
}
