package io.spherical.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.SphericalLoss;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code spherical losses --check} prints every loss's worst derivative error and PASS or FAIL (exit 2 when one
 * fails), and {@code train} refuses a loss whose partials are wrong in one line, before any work.
 */
public class LossesCheckCliTest {
    static final String BROKEN = "cli-flipped-sign";

    /** Squared error as a plugin author might write it, with the sign of df/da flipped. */
    public static final class FlippedSignLoss implements SphericalLoss {
        @Override
        public String name() {
            return BROKEN;
        }

        @Override
        public String description() {
            return "test plugin: q - 2a + 1 with a wrong df/da";
        }

        @Override
        public SphericalLoss configure(Map<String, Double> values) {
            SphericalLoss.requireKnown(this, values);
            return this;
        }

        @Override
        public double evaluate(double q, double s, double a, long classes, double[] partials) {
            partials[0] = 1;
            partials[1] = 0;
            partials[2] = 2; // should be -2
            return q - 2 * a + 1;
        }
    }

    /** Runs the command with {@link FlippedSignLoss} registered as a plugin (a services file on the context loader). */
    static CliTest.Run runWithBrokenLoss(Path dir, String... args) throws IOException {
        Path services = dir.resolve("META-INF/services/" + SphericalLoss.class.getName());
        Files.createDirectories(services.getParent());
        Files.writeString(services, FlippedSignLoss.class.getName() + "\n");
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        try (URLClassLoader cl = new URLClassLoader(new URL[] {dir.toUri().toURL()},
                LossesCheckCliTest.class.getClassLoader())) {
            t.setContextClassLoader(cl);
            return CliTest.run(args);
        } finally {
            t.setContextClassLoader(previous);
        }
    }

    @Test
    void everyBuiltInPasses() {
        CliTest.Run r = CliTest.run("losses", "--check");
        assertEquals(0, r.code(), r.out() + r.err());
        for (String name : List.of("z-loss", "squared-error", "log-taylor-softmax", "log-spherical-softmax")) {
            assertTrue(r.out().lines().anyMatch(l -> l.startsWith(name + " ") && l.contains("PASS")
                    && l.contains("worst error")), name + " must pass:\n" + r.out());
        }
        assertTrue(r.err().isBlank(), r.err());
    }

    @Test
    void aLossWithAWrongPartialFailsTheCheckWithItsWorstError(@TempDir Path dir) throws IOException {
        CliTest.Run r = runWithBrokenLoss(dir, "losses", "--check");
        assertEquals(Main.USER_ERROR, r.code(), r.out() + r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith(BROKEN + " ") && l.contains("FAIL")
                && l.contains("worst error 2.0 in df/da at (q=")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("z-loss ") && l.contains("PASS")), r.out());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, r.err());
        assertTrue(lines[0].startsWith("spherical: 1 loss(es) fail the derivative check: " + BROKEN), lines[0]);
    }

    @Test
    void trainRefusesItInOneLineBeforeAnyWork(@TempDir Path dir) throws IOException {
        CliTest.Run r = runWithBrokenLoss(dir.resolve("plugin"), "train", "--loss", BROKEN, "--corpus",
                dir.resolve("no-corpus-needed").toString(), "--out", dir.resolve("run").toString());
        assertEquals(Main.USER_ERROR, r.code(), r.out() + r.err());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, r.err());
        assertTrue(lines[0].startsWith("spherical: Loss '" + BROKEN + "' (from " + FlippedSignLoss.class.getName())
                && lines[0].contains("fails its derivative check: worst error 2.0 in df/da at (q=")
                && lines[0].endsWith("Fix: correct its partials (see testkit's LossContract)."), lines[0]);
        assertTrue(!Files.exists(dir.resolve("run").resolve("checkpoint.zip")), "nothing trained");
    }
}
