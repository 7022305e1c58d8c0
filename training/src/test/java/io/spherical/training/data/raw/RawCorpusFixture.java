package io.spherical.training.data.raw;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.compressors.bzip2.BZip2CompressorOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;
import org.apache.commons.compress.compressors.xz.XZCompressorOutputStream;

/** Small generated raw corpora: books with Gutenberg markers, archives of every kind, WikiExtractor files. */
public final class RawCorpusFixture {
    private static final String[] WORDS = ("the a of and to in was he it that his she her had with for as you on at "
            + "by be not but from this they which were all one said so would there their we out when up what into if "
            + "been who them do will more no my man could time little then about over only some any like very down")
            .split(" ");

    private RawCorpusFixture() {
    }

    /** A paragraph-structured book body of about {@code sentences} sentences, wrapped at 60 columns like Gutenberg's. */
    public static String body(Random r, int sentences) {
        StringBuilder b = new StringBuilder();
        int col = 0;
        for (int s = 0; s < sentences; s++) {
            int n = 3 + r.nextInt(10);
            for (int i = 0; i < n; i++) {
                String w = WORDS[Math.min(WORDS.length - 1, (int) Math.abs(r.nextGaussian() * 12))];
                if (i == 0) {
                    w = Character.toUpperCase(w.charAt(0)) + w.substring(1);
                }
                b.append(w);
                col += w.length() + 1;
                if (i == n - 1) {
                    b.append(r.nextInt(5) == 0 ? "!" : ".");
                }
                if (col > 60) {
                    b.append('\n');
                    col = 0;
                } else {
                    b.append(' ');
                }
            }
            if (r.nextInt(6) == 0) {
                b.append("\n\n");
                col = 0;
            }
        }
        return b.toString();
    }

    /** A Gutenberg book: header, marker, body, footer marker, licence. */
    public static String book(String title, String body, String startMarker, String endMarker) {
        return "The Project Gutenberg EBook of " + title + "\n\nThis eBook is for the use of anyone anywhere.\n\n"
                + startMarker + "\n\n" + body + "\n\n" + endMarker + "\n\nLICENCE LICENCE LICENCE words words words\n";
    }

    /** Writes {@code entries} (name to text) as a tar, tar.gz or tar.xz archive. */
    public static void tar(Path file, Map<String, String> entries) throws IOException {
        String n = file.getFileName().toString();
        try (OutputStream raw = Files.newOutputStream(file);
             OutputStream c = n.endsWith(".xz") ? new XZCompressorOutputStream(raw)
                     : n.endsWith(".gz") || n.endsWith(".tgz") ? new GzipCompressorOutputStream(raw) : raw;
             TarArchiveOutputStream t = new TarArchiveOutputStream(c)) {
            t.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Map.Entry<String, String> e : entries.entrySet()) {
                byte[] b = e.getValue().getBytes(StandardCharsets.UTF_8);
                TarArchiveEntry te = new TarArchiveEntry(e.getKey());
                te.setSize(b.length);
                t.putArchiveEntry(te);
                t.write(b);
                t.closeArchiveEntry();
            }
        }
    }

    /** Writes {@code entries} as a zip archive. */
    public static void zip(Path file, Map<String, String> entries) throws IOException {
        try (ZipArchiveOutputStream z = new ZipArchiveOutputStream(file)) {
            for (Map.Entry<String, String> e : entries.entrySet()) {
                z.putArchiveEntry(new ZipArchiveEntry(e.getKey()));
                z.write(e.getValue().getBytes(StandardCharsets.UTF_8));
                z.closeArchiveEntry();
            }
        }
    }

    /** A WikiExtractor file with the given documents (id to text), bzip2-compressed when the name ends in .bz2. */
    public static void wiki(Path file, Map<String, String> docs) throws IOException {
        StringBuilder b = new StringBuilder();
        docs.forEach((id, text) -> b.append("<doc id=\"").append(id).append("\" url=\"https://example.org/?curid=")
                .append(id).append("\" title=\"Title ").append(id).append("\">\nTitle ").append(id).append("\n\n")
                .append(text).append("\n</doc>\n"));
        byte[] bytes = b.toString().getBytes(StandardCharsets.UTF_8);
        try (OutputStream raw = Files.newOutputStream(file);
             OutputStream o = file.toString().endsWith(".bz2") ? new BZip2CompressorOutputStream(raw) : raw) {
            o.write(bytes);
        }
    }
}
