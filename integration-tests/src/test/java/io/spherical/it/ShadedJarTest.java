package io.spherical.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The shaded jar keeps every META-INF/services entry: both backends and every loss are found when it runs alone. */
class ShadedJarTest {

    private static String[] run(String... args) throws Exception {
        Path jar = Path.of(System.getProperty("shaded.jar", "missing"));
        assertTrue(Files.isRegularFile(jar), "the shaded jar must be built by the cli module: " + jar);
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar", jar.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(2, TimeUnit.MINUTES));
        return new String[] {Integer.toString(p.exitValue()), out, err};
    }

    @Test
    void theShadedJarFindsBothBackendsAndEveryLoss() throws Exception {
        String[] b = run("backends");
        assertEquals("0", b[0], b[2]);
        assertTrue(b[1].contains("nd4j") && b[1].contains("opencl") && b[1].contains("chosen:"), b[1]);
        String[] l = run("losses");
        assertEquals("0", l[0], l[2]);
        for (String name : List.of("z-loss", "squared-error", "log-taylor-softmax", "log-spherical-softmax")) {
            assertTrue(l[1].contains(name), name + " lost in the shaded jar:\n" + l[1]);
        }
    }
}
