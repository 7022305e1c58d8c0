package io.spherical.models.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.LossCheck;
import io.spherical.api.SphericalLoss;
import io.spherical.api.UserException;
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
 * Two losses with wrong partials, written as a plugin author might (a Z-loss with alpha = 1, beta = 0, copied with one
 * mistake each): the derivative check fails them far above its tolerance, and the registry refuses them in one line
 * naming the loss and the worst error, while every built-in passes.
 */
public class BrokenLossesTest {

    /** The Z-loss's partials with the sign of df/da flipped. */
    public static final class FlippedSign extends CopiedZLoss {
        /** For ServiceLoader. */
        public FlippedSign() {
            super("flipped-sign-z-loss", true, false);
        }
    }

    /** The Z-loss's partials with the term {@code z mu / sigma} of df/ds dropped. */
    public static final class DroppedTerm extends CopiedZLoss {
        /** For ServiceLoader. */
        public DroppedTerm() {
            super("dropped-term-z-loss", false, true);
        }
    }

    /** A Z-loss (alpha = 1, beta = 0) copied from docs/ALGORITHM.md 2.1, with an optional mistake. */
    abstract static class CopiedZLoss implements SphericalLoss {
        private final String name;
        private final boolean flipSign;
        private final boolean dropTerm;

        CopiedZLoss(String name, boolean flipSign, boolean dropTerm) {
            this.name = name;
            this.flipSign = flipSign;
            this.dropTerm = dropTerm;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public String description() {
            return "a Z-loss with a mistake in its partials";
        }

        @Override
        public SphericalLoss configure(Map<String, Double> values) {
            SphericalLoss.requireKnown(this, values);
            return this;
        }

        @Override
        public double evaluate(double q, double s, double a, long classes, double[] partials) {
            double d = classes;
            double mu = s / d;
            double var = q / d - mu * mu;
            double floor = 1e-6 * q / d + 1e-30;
            boolean floored = !(var > floor);
            double var2 = floored ? floor : var;
            double sigma = Math.sqrt(var2);
            double z = (a - mu) / sigma;
            double g = -ZLoss.sigmoid(-z);
            partials[2] = (flipSign ? -g : g) / sigma;
            if (floored) {
                partials[1] = -g / (d * sigma);
                partials[0] = -g * z * 1e-6 / (2 * d * var2);
            } else {
                partials[1] = g * (-1.0 + (dropTerm ? 0 : z * mu / sigma)) / (d * sigma);
                partials[0] = -g * z / (2 * d * var2);
            }
            return ZLoss.softplus(-z);
        }
    }

    @Test
    void theCheckFailsBothFarAboveItsTolerance() {
        LossCheck.Result flipped = LossCheck.check(new FlippedSign(), LossCheck.QUICK_POINTS, LossCheck.QUICK_SEED);
        LossCheck.Result dropped = LossCheck.check(new DroppedTerm(), LossCheck.QUICK_POINTS, LossCheck.QUICK_SEED);
        for (LossCheck.Result r : List.of(flipped, dropped)) {
            assertFalse(r.passed(), r.describe());
            assertTrue(r.worstError() > 1000 * LossCheck.TOLERANCE, r.describe());
            assertEquals(0, r.nonFinite(), r.describe());
        }
        assertEquals("df/da", flipped.worstPartial(), flipped.describe());
        assertTrue(flipped.worstError() > 1.9, "a flipped sign is an error of 2: " + flipped.describe());
        assertEquals("df/ds", dropped.worstPartial(), dropped.describe());
        // the same code without the mistakes passes: the failures are the mistakes', not the copy's
        CopiedZLoss right = new CopiedZLoss("copied-z-loss", false, false) {
        };
        LossCheck.Result ok = LossCheck.check(right, 3000, 7);
        assertTrue(ok.passed(), ok.describe());
    }

    @Test
    void theRegistryRefusesThemInOneLineNamingTheLossAndItsWorstError(@TempDir Path dir) throws IOException {
        Path services = dir.resolve("META-INF/services/" + SphericalLoss.class.getName());
        Files.createDirectories(services.getParent());
        Files.writeString(services, FlippedSign.class.getName() + "\n" + DroppedTerm.class.getName() + "\n");
        try (URLClassLoader cl = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            LossRegistry reg = LossRegistry.discover(cl);
            for (SphericalLoss broken : List.of(new FlippedSign(), new DroppedTerm())) {
                String name = broken.name();
                assertTrue(reg.all().stream().anyMatch(l -> l.name().equals(name)), "not discovered: " + name);
                UserException e = assertThrows(UserException.class, () -> reg.create(name, Map.of()));
                String m = e.getMessage();
                LossCheck.Result r = reg.check(broken);
                assertTrue(m.startsWith("Loss '" + name + "' (from " + broken.getClass().getName()), m);
                assertTrue(m.contains(" fails its derivative check: " + r.worst() + " at (q="), m);
                assertTrue(m.endsWith("Fix: correct its partials (see testkit's LossContract)."), m);
                assertFalse(m.contains("\n"), "one line: " + m);
            }
            // the built-ins found through the same loader still pass
            assertEquals("z-loss", reg.create("z-loss", Map.of()).name());
        }
    }

    @Test
    void everyBuiltInPassesTheCheckTheRegistryRuns() {
        LossRegistry reg = LossRegistry.discover();
        assertFalse(reg.all().isEmpty());
        for (SphericalLoss l : reg.all()) {
            LossCheck.Result r = reg.check(l);
            assertTrue(r.passed(), r.describe());
            assertEquals(l.values(), reg.create(l.name(), Map.of()).values(), l.name());
        }
    }
}
