package io.spherical.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.spherical.api.SphericalLoss;
import io.spherical.api.UserException;
import io.spherical.models.loss.LossRegistry;
import io.spherical.training.SyntheticCorpus;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code --plugins DIR} and {@code SPHERICAL_PLUGINS}: a loss plugin jar (compiled here, so that its class is on no
 * class path of the tests) is found by every command, a run records the jar its loss came from, and a command on that
 * run without the jar names the loss and the jar in one line.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PluginsTest {
    static final String LOSS = "plugin-half-square";
    static final String CLASS = "com.example.plugintest.HalfSquareLoss";
    static final String SOURCE = """
            package com.example.plugintest;

            import io.spherical.api.SphericalLoss;
            import java.util.Map;

            /** ||o - y||^2 / 2 = (q - 2 a + 1) / 2, as a plugin. */
            public final class HalfSquareLoss implements SphericalLoss {
                @Override
                public String name() {
                    return "plugin-half-square";
                }

                @Override
                public String description() {
                    return "test plugin: (q - 2a + 1) / 2";
                }

                @Override
                public SphericalLoss configure(Map<String, Double> values) {
                    SphericalLoss.requireKnown(this, values);
                    return this;
                }

                @Override
                public double evaluate(double q, double s, double a, long classes, double[] partials) {
                    partials[0] = 0.5;
                    partials[1] = 0;
                    partials[2] = -1;
                    return 0.5 * (q - 2 * a + 1);
                }
            }
            """;

    private Path root;
    private Path plugins;
    private Path jar;
    private Path corpus;
    private Path run;

    @BeforeAll
    void buildThePluginAndTrainWithIt(@TempDir Path tmp) throws Exception {
        root = tmp;
        plugins = Files.createDirectories(tmp.resolve("plugins"));
        jar = pluginJar(tmp.resolve("build"), plugins.resolve("half-square-1.0.jar"), "");
        corpus = SyntheticCorpus.write(tmp.resolve("corpus"), 60, 600, 4);
        run = tmp.resolve("run");
        CliTest.Run r = CliTest.run("--plugins", plugins.toString(), "train", "--corpus", corpus.toString(), "--out",
                run.toString(), "--loss", LOSS, "--output", "factored", "--lr", "0.1", "--epochs", "1", "--context", "2",
                "--embedding", "8", "--hidden", "16", "--batch", "50", "--min-count", "1");
        assertEquals(0, r.code(), r.err());
    }

    /**
     * Compiles {@link #SOURCE} against the api alone and writes a plugin jar: the class and its services line (and an
     * {@code extra} entry when not empty, which changes the jar's checksum but not the loss).
     */
    static Path pluginJar(Path build, Path jar, String extra) throws Exception {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        assertNotNull(javac, "the tests need a JDK (javax.tools) to build the plugin jar");
        Path src = build.resolve("src").resolve(CLASS.replace('.', '/') + ".java");
        Path classes = build.resolve("classes");
        Files.createDirectories(src.getParent());
        Files.createDirectories(classes);
        Files.writeString(src, SOURCE);
        String api = Path.of(SphericalLoss.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        int rc = javac.run(null, log, log, "--release", "17", "-proc:none", "-classpath", api, "-d", classes.toString(),
                src.toString());
        assertEquals(0, rc, log.toString(StandardCharsets.UTF_8));
        Files.createDirectories(jar.getParent());
        try (OutputStream file = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(file)) {
            String entry = CLASS.replace('.', '/') + ".class";
            put(out, entry, Files.readAllBytes(classes.resolve(entry)));
            put(out, "META-INF/services/" + SphericalLoss.class.getName(), (CLASS + "\n").getBytes(StandardCharsets.UTF_8));
            if (!extra.isEmpty()) {
                put(out, "README.txt", extra.getBytes(StandardCharsets.UTF_8));
            }
        }
        return jar;
    }

    private static void put(JarOutputStream out, String name, byte[] data) throws IOException {
        out.putNextEntry(new JarEntry(name));
        out.write(data);
        out.closeEntry();
    }

    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    private static boolean found(String name) {
        return LossRegistry.discover().all().stream().anyMatch(l -> l.name().equals(name));
    }

    private static void oneLine(CliTest.Run r, String... parts) {
        assertEquals(Main.USER_ERROR, r.code(), r.out() + r.err());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, "one line expected:\n" + r.err());
        assertTrue(lines[0].startsWith("spherical: "), lines[0]);
        for (String p : parts) {
            assertTrue(lines[0].contains(p), "'" + p + "' expected in: " + lines[0]);
        }
    }

    @Test
    void theArgumentsNameTheDirectoriesBeforeAnEndOfOptions() {
        assertEquals(List.of("a", "b"), Plugins.fromArguments(new String[] {"--plugins", "a", "train", "--plugins=b",
            "--", "--plugins", "c"}));
        assertEquals(List.of(), Plugins.fromArguments(new String[] {"train", "--plugins"}));
    }

    @Test
    void aMissingOrEmptyDirectoryIsRefusedInOneLine() throws IOException {
        UserException missing = assertThrows(UserException.class,
                () -> Plugins.jars(List.of(root.resolve("nowhere").toString()), Plugins.OPTION));
        assertTrue(missing.getMessage().contains("does not exist") && missing.getMessage().contains("Fix: ")
                && !missing.getMessage().contains("\n"), missing.getMessage());
        Path empty = Files.createDirectories(root.resolve("empty"));
        Files.writeString(empty.resolve("notes.txt"), "not a jar");
        UserException none = assertThrows(UserException.class, () -> Plugins.jars(List.of(empty.toString()), Plugins.ENV));
        assertTrue(none.getMessage().contains("holds no .jar file") && none.getMessage().contains(Plugins.ENV)
                && none.getMessage().contains("Fix: "), none.getMessage());
        oneLine(CliTest.run("--plugins", root.resolve("nowhere").toString(), "losses"), "does not exist", "--plugins");
    }

    @Test
    void theJarsAreTheContextClassLoadersWhileTheCommandRuns() {
        ClassLoader before = Thread.currentThread().getContextClassLoader();
        assertFalse(found(LOSS), "the plugin's class must be on no class path of the tests");
        try (Plugins p = Plugins.install(new String[] {"losses"}, plugins.toString())) {   // SPHERICAL_PLUGINS
            assertEquals(List.of(jar.toAbsolutePath().normalize()), p.jars());
            assertTrue(found(LOSS));
        }
        assertSame(before, Thread.currentThread().getContextClassLoader());
        assertFalse(found(LOSS));
        try (Plugins p = Plugins.install(new String[] {"--plugins", plugins.toString()}, root.resolve("nowhere").toString())) {
            assertEquals(1, p.jars().size(), "the option overrides the environment");
        }
        CliTest.Run listed = CliTest.run("--plugins", plugins.toString(), "losses");
        assertEquals(0, listed.code(), listed.err());
        assertTrue(listed.out().contains(LOSS), listed.out());
        assertFalse(CliTest.run("losses").out().contains(LOSS));
    }

    @Test
    void theRunRecordsThePluginJarItsLossCameFrom() throws Exception {
        JsonNode runJson = new ObjectMapper().readTree(run.resolve("run.json").toFile());
        for (JsonNode record : List.of(runJson, CliTest.manifest(run))) {
            JsonNode p = record.path("plugin");
            assertEquals(LOSS, p.path("loss").asText(), record.toString());
            assertEquals(jar.getFileName().toString(), p.path("jar").asText());
            assertEquals(sha256(jar), p.path("sha256").asText());
        }
        Path builtIn = root.resolve("run-built-in");
        CliTest.Run r = CliTest.run("--plugins", plugins.toString(), "train", "--corpus", corpus.toString(), "--out",
                builtIn.toString(), "--epochs", "1", "--context", "2", "--embedding", "8", "--hidden", "16", "--batch",
                "50", "--min-count", "1", "--max-train", "200");
        assertEquals(0, r.code(), r.err());
        assertTrue(CliTest.manifest(builtIn).path("plugin").isMissingNode(), "a built-in loss records no plugin");
    }

    @Test
    void withoutThePluginEvalPredictAndResumeNameTheLossAndTheJar() {
        String[] parts = {"'" + LOSS + "'", jar.getFileName().toString(), "is not loaded", "--plugins"};
        oneLine(CliTest.run("eval", "--run", run.toString(), "--split", "valid"), parts);
        oneLine(CliTest.run("predict", "--run", run.toString(), "w1 w2"), parts);
        oneLine(CliTest.run("train", "--out", run.toString(), "--resume", "--epochs", "2"), parts);
    }

    @Test
    void withThePluginEvalAndPredictWorkWhereverTheOptionStands() {
        CliTest.Run before = CliTest.run("--plugins", plugins.toString(), "eval", "--run", run.toString(), "--split",
                "valid");
        assertEquals(0, before.code(), before.err());
        assertTrue(before.out().contains("top-10 error"), before.out());
        CliTest.Run after = CliTest.run("eval", "--run", run.toString(), "--split", "valid", "--plugins",
                plugins.toString());
        assertEquals(0, after.code(), after.err());
        assertEquals(before.out().lines().filter(l -> l.startsWith("top-")).toList(),
                after.out().lines().filter(l -> l.startsWith("top-")).toList());
        CliTest.Run predict = CliTest.run("--plugins", plugins.toString(), "predict", "--run", run.toString(), "--k", "3",
                "w1 w2");
        assertEquals(0, predict.code(), predict.err());
        assertTrue(predict.err().isEmpty(), predict.err());
    }

    @Test
    void anotherJarOfTheSameLossIsUsedWithAWarning() throws Exception {
        Path other = Files.createDirectories(root.resolve("plugins-rebuilt"));
        Path rebuilt = pluginJar(root.resolve("build-2"), other.resolve("half-square-1.1.jar"), "rebuilt");
        List<String> args = new ArrayList<>(List.of("--plugins", other.toString()));
        args.addAll(List.of("eval", "--run", run.toString(), "--split", "valid"));
        CliTest.Run r = CliTest.run(args.toArray(String[]::new));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("was trained with the plugin jar " + jar.getFileName()) && r.out().contains(
                rebuilt.getFileName() + " (sha256 " + sha256(rebuilt) + ")"), r.out());
    }
}
