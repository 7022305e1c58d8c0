package io.spherical.training.data.raw;

import io.spherical.api.UserException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.ArchiveEntry;
import org.apache.commons.compress.archivers.ArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveInputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorInputStream;

/**
 * The documents of a raw-text corpus, read in place (nothing is extracted to disk). Two formats:
 * <ul>
 *   <li>{@link Format#BOOKS}: every {@code .txt} file under a directory (recursively) or inside {@code .tar},
 *       {@code .tar.gz}/{@code .tgz}, {@code .tar.xz} and {@code .zip} archives, one document each, Project
 *       Gutenberg's header and footer removed ({@link Gutenberg});</li>
 *   <li>{@link Format#WIKI}: WikiExtractor's output, files named {@code wiki_00 ...} (optionally {@code .bz2}), many
 *       {@code <doc id="..." url="..." title="...">} ... {@code </doc>} documents per file; the first line of a
 *       document (its title) is dropped.</li>
 * </ul>
 * A document's identity is its path inside the corpus ({@code shard.tar.xz!Author/Title.txt}) or its wiki id; the
 * split depends on it alone. What cannot be read as text is skipped and counted: a file with NUL bytes (binary), one
 * that is not UTF-8, one larger than {@link #MAX_DOCUMENT_BYTES}, and a document left empty after the markers.
 */
public final class Documents {
    /** The two layouts. */
    public enum Format {
        /** Books: one {@code .txt} file per document. */
        BOOKS,
        /** WikiExtractor output: many documents per file. */
        WIKI
    }

    /** A document: its identity (stable across machines and file orders) and its text. */
    public record Document(String id, String text) {
    }

    /** Receives what a source holds. */
    public interface Sink {
        /** A readable document. */
        void document(Document d);

        /** Something skipped, with the reason ({@code binary}, {@code not UTF-8}, {@code too large}, {@code empty}). */
        void skipped(String name, String reason);
    }

    /** The largest file read as one document (64 MiB); a larger one is skipped (split it). */
    public static final int MAX_DOCUMENT_BYTES = 64 << 20;
    private static final Pattern DOC = Pattern.compile("<doc\\s[^>]*?id=\"([^\"]*)\"[^>]*>(.*?)</doc>", Pattern.DOTALL);

    private Documents() {
    }

    /**
     * The files that hold documents under {@code root} (itself when a file), sorted by path: the units that are read
     * in parallel.
     */
    public static List<Path> sources(Path root, Format format) {
        if (!Files.exists(root)) {
            throw new UserException("The corpus path " + root + " does not exist. Fix: pass a directory or archive of "
                    + (format == Format.WIKI ? "WikiExtractor output (wiki_00 ...)" : ".txt books") + ".");
        }
        if (Files.isRegularFile(root)) {
            return List.of(root);
        }
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(Files::isRegularFile).filter(p -> accepts(p, format)).sorted().toList();
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new UserException("Cannot list the corpus directory " + root + ": " + e.getMessage()
                    + ". Fix: check that it is readable.", e);
        }
    }

    private static boolean accepts(Path p, Format format) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        if (format == Format.WIKI) {
            return n.startsWith("wiki_");
        }
        return n.endsWith(".txt") || isArchive(n);
    }

    private static boolean isArchive(String n) {
        return n.endsWith(".tar") || n.endsWith(".tar.gz") || n.endsWith(".tgz") || n.endsWith(".tar.xz")
                || n.endsWith(".zip");
    }

    /** Reads every document of one source file ({@code id} prefix: its path relative to the corpus root). */
    public static void read(Path file, String relative, Format format, Sink sink) {
        String n = file.getFileName().toString().toLowerCase(Locale.ROOT);
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            if (format == Format.WIKI) {
                InputStream in = n.endsWith(".bz2") ? new BZip2CompressorInputStream(raw, true) : raw;
                wiki(relative, bytes(in, relative, sink), sink);
            } else if (isArchive(n)) {
                try (ArchiveInputStream<?> a = archive(raw, n)) {
                    for (ArchiveEntry e = a.getNextEntry(); e != null; e = a.getNextEntry()) {
                        if (!e.isDirectory() && e.getName().toLowerCase(Locale.ROOT).endsWith(".txt")) {
                            book(relative + "!" + e.getName(), bytes(a, relative + "!" + e.getName(), sink), sink);
                        }
                    }
                }
            } else {
                book(relative, bytes(raw, relative, sink), sink);
            }
        } catch (IOException | RuntimeException e) {   // commons-compress reports some corrupt archives unchecked
            if (e instanceof UserException u) {
                throw u;
            }
            throw new UserException("Cannot read " + file + " (" + e.getMessage() + "). Fix: check that the file is a "
                    + "readable, complete " + (isArchive(n) ? "archive" : "text file") + ", or remove it.", e);
        }
    }

    private static ArchiveInputStream<?> archive(InputStream raw, String n) throws IOException {
        if (n.endsWith(".zip")) {
            return new ZipArchiveInputStream(raw);
        }
        InputStream in = n.endsWith(".tar.xz") ? new XZCompressorInputStream(raw)
                : n.endsWith(".gz") || n.endsWith(".tgz") ? new GzipCompressorInputStream(raw) : raw;
        return new TarArchiveInputStream(in);
    }

    /** At most {@link #MAX_DOCUMENT_BYTES} of {@code in}; null (and the reason given to the sink) when larger. */
    private static byte[] bytes(InputStream in, String name, Sink sink) throws IOException {
        byte[] b = in.readNBytes(MAX_DOCUMENT_BYTES);
        if (b.length == MAX_DOCUMENT_BYTES && in.read() >= 0) {
            in.transferTo(java.io.OutputStream.nullOutputStream());
            sink.skipped(name, "too large");
            return null;
        }
        return b;
    }

    /** The bytes as UTF-8 text; null (and the reason given to the sink) when binary or not UTF-8. */
    private static String text(byte[] b, String name, Sink sink) {
        for (byte x : b) {
            if (x == 0) {
                sink.skipped(name, "binary");
                return null;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            sink.skipped(name, "not UTF-8");
            return null;
        }
    }

    private static void book(String id, byte[] b, Sink sink) {
        if (b == null) {
            return;
        }
        String t = text(b, id, sink);
        if (t == null) {
            return;
        }
        String body = Gutenberg.body(t.startsWith("\uFEFF") ? t.substring(1) : t).replace("\r", "");
        if (body.isBlank()) {
            sink.skipped(id, "empty");
        } else {
            sink.document(new Document(id, body));
        }
    }

    private static void wiki(String file, byte[] b, Sink sink) {
        if (b == null) {
            return;
        }
        String t = text(b, file, sink);
        if (t == null) {
            return;
        }
        Matcher m = DOC.matcher(t);
        List<Document> docs = new ArrayList<>();
        while (m.find()) {
            String body = m.group(2).replace("\r", "").strip();
            int nl = body.indexOf('\n');
            body = nl < 0 ? "" : body.substring(nl + 1).strip();       // the first line repeats the title
            if (body.isBlank()) {
                sink.skipped("wiki:" + m.group(1), "empty");
            } else {
                docs.add(new Document("wiki:" + m.group(1), body));
            }
        }
        if (docs.isEmpty()) {
            sink.skipped(file, "no <doc> element");
        }
        docs.forEach(sink::document);
    }
}
