package io.spherical.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.SphericalLoss;
import io.spherical.models.loss.LossRegistry;
import io.spherical.training.SyntheticCorpus;
import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The examples/custom-loss plugin: one class and one services line make a loss the command lists and trains with. */
class LossPluginTest {
    static Path pluginJar() {
        Path jar = Path.of(System.getProperty("plugin.jar", "missing"));
        assertTrue(Files.isRegularFile(jar), "the example plugin jar must be built first: " + jar);
        return jar;
    }

    static ProcessResult cli(List<String> extraClasspath, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", String.join(java.io.File.pathSeparator, concat(System.getProperty("java.class.path"), extraClasspath)),
                "io.spherical.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("OMP_WAIT_POLICY", "PASSIVE");
        pb.environment().remove("SPHERICAL_PLUGINS");     // only what a test passes
        Process p = pb.start();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES));
        return new ProcessResult(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    record ProcessResult(int code, String out, String err) {
    }

    private static List<String> concat(String cp, List<String> extra) {
        List<String> all = new ArrayList<>(List.of(cp));
        all.addAll(extra);
        return all;
    }

    @Test
    void theCommandListsThePluginOnlyWhenItsJarIsOnTheClasspath() throws Exception {
        ProcessResult without = cli(List.of(), "losses");
        assertEquals(0, without.code(), without.err());
        assertFalse(without.out().contains("cosine-margin"), without.out());
        ProcessResult with = cli(List.of(pluginJar().toString()), "losses");
        assertEquals(0, with.code(), with.err());
        assertTrue(with.out().contains("cosine-margin") && with.out().contains("margin"), with.out());
    }

    @Test
    void trainGrowsAnOptionForEachHyperparameterThePluginDeclares() throws Exception {
        ProcessResult without = cli(List.of(), "train", "--help");
        assertEquals(0, without.code(), without.err());
        assertTrue(without.out().contains("--b=VALUE") && !without.out().contains("--margin"), without.out());
        ProcessResult with = cli(List.of(pluginJar().toString()), "train", "--help");
        assertEquals(0, with.code(), with.err());
        String help = with.out().replaceAll("\\s+", " ");
        assertTrue(help.contains("--margin=VALUE") && help.contains("cosine-margin: wanted cosine of the target"), help);
    }

    @Test
    void theFactoredLayerTrainsWithThePluginLoss(@TempDir Path tmp) throws Exception {
        Path corpus = SyntheticCorpus.write(tmp.resolve("corpus"), 80, 600, 9);
        Path out = tmp.resolve("run");
        ProcessResult r = cli(List.of(pluginJar().toString()), "train", "--corpus", corpus.toString(), "--out",
                out.toString(), "--loss", "cosine-margin", "--margin", "0.6", "--loss-param", "k=4", "--output", "factored",
                "--epochs", "1", "--context", "2", "--embedding", "8", "--hidden", "16", "--batch", "50",
                "--min-count", "1");
        assertEquals(0, r.code(), r.err());
        String run = Files.readString(out.resolve("run.json"));
        assertTrue(run.contains("\"name\" : \"cosine-margin\"") && run.contains("\"margin\" : 0.6")
                && run.contains("\"k\" : 4.0"), run);
    }

    @Test
    void withPluginsTheRunTrainsAndEvaluatesAndWithoutThemItNamesTheLossAndTheJar(@TempDir Path tmp) throws Exception {
        Path corpus = SyntheticCorpus.write(tmp.resolve("corpus"), 80, 600, 9);
        Path out = tmp.resolve("run");
        String dir = pluginJar().getParent().toString();
        String jar = pluginJar().getFileName().toString();
        ProcessResult r = cli(List.of(), "--plugins", dir, "train", "--corpus", corpus.toString(), "--out",
                out.toString(), "--loss", "cosine-margin", "--margin", "0.6", "--output", "factored", "--epochs", "1",
                "--context", "2", "--embedding", "8", "--hidden", "16", "--batch", "50", "--min-count", "1");
        assertEquals(0, r.code(), r.err());
        String run = Files.readString(out.resolve("run.json"));
        assertTrue(run.contains("\"plugin\"") && run.contains("\"jar\" : \"" + jar + "\"") && run.contains("\"sha256\""),
                run);
        ProcessResult with = cli(List.of(), "--plugins", dir, "eval", "--run", out.toString(), "--split", "valid");
        assertEquals(0, with.code(), with.err());
        assertTrue(with.out().contains("top-10 error"), with.out());
        ProcessResult without = cli(List.of(), "eval", "--run", out.toString(), "--split", "valid");
        assertEquals(2, without.code(), without.out() + without.err());
        assertTrue(without.err().contains("spherical: The run's loss 'cosine-margin' comes from the plugin jar " + jar)
                && without.err().contains("Fix: pass --plugins DIR"), without.err());
    }

    @Test
    void thePluginsPartialsMatchFiniteDifferences() throws Exception {
        try (URLClassLoader cl = new URLClassLoader(new URL[] {pluginJar().toUri().toURL()}, getClass().getClassLoader())) {
            SphericalLoss l = LossRegistry.discover(cl).create("cosine-margin", Map.of());
            double[] g = new double[3];
            double[] s = new double[3];
            double[][] points = {{30, 4, 2.5}, {5, -1, -0.7}, {100, 10, 9}, {2, 0, 0.1}};
            for (double[] p : points) {
                l.evaluate(p[0], p[1], p[2], 50, g);
                for (int k = 0; k < 3; k++) {
                    double[] up = p.clone();
                    double[] dn = p.clone();
                    up[k] += 1e-6;
                    dn[k] -= 1e-6;
                    double fd = (l.evaluate(up[0], up[1], up[2], 50, s) - l.evaluate(dn[0], dn[1], dn[2], 50, s)) / 2e-6;
                    assertEquals(fd, g[k], 1e-6 + 1e-5 * Math.abs(fd), "partial " + k + " at " + java.util.Arrays.toString(p));
                }
            }
        }
    }
}
