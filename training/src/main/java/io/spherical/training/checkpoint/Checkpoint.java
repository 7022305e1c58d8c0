package io.spherical.training.checkpoint;

import io.spherical.api.spi.Shapes;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spherical.api.Backend;
import io.spherical.api.Tensor;
import io.spherical.api.UserException;
import io.spherical.models.lm.Vocabulary;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/**
 * The checkpoint format, version 1: a zip file holding {@code manifest.json} (configuration, provenance, progress,
 * the SHA-256 of every other entry), {@code vocab.tsv} (word TAB count, one per id) and one NumPy {@code .npy} file per
 * array under {@code arrays/}. Readable from Python with {@code zipfile}, {@code json} and {@code numpy.load}; no Java
 * serialisation. Written atomically: a temporary file in the same directory, fsync, then rename over the old one and
 * fsync of the directory, so a crash or a power cut at any moment leaves the previous checkpoint intact.
 */
public final class Checkpoint {
    /** The value of the manifest's {@code format} field. */
    public static final String FORMAT = "spherical-checkpoint";
    /** The version this code writes and reads. */
    public static final int VERSION = 1;
    /** The JSON mapper of manifests and run files (indented output). */
    public static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT)
            .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS).build(); // runs written before the enums: "relu"

    private final ObjectNode manifest;
    private final Vocabulary vocabulary;
    private final Path file;

    private Checkpoint(Path file, ObjectNode manifest, Vocabulary vocabulary) {
        this.file = file;
        this.manifest = manifest;
        this.vocabulary = vocabulary;
    }

    /** The manifest (configuration, progress, provenance). */
    public ObjectNode manifest() {
        return manifest;
    }

    /** The vocabulary stored with the model. */
    public Vocabulary vocabulary() {
        return vocabulary;
    }

    /**
     * Writes a checkpoint atomically.
     *
     * @param manifest the caller's fields (config, progress, provenance); format, version, arrays and checksums are added
     */
    public static void write(Path file, ObjectNode manifest, Vocabulary vocab, Map<String, Tensor> arrays, Backend b) {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
            ObjectNode m = manifest.deepCopy();
            m.put("format", FORMAT);
            m.put("version", VERSION);
            ObjectNode sums = m.putObject("checksums");
            ObjectNode shapes = m.putObject("arrays");
            try (OutputStream fo = Files.newOutputStream(tmp);
                 ZipOutputStream zip = new ZipOutputStream(new BufferedOutputStream(fo, 1 << 20))) {

                StringBuilder tsv = new StringBuilder();
                long[] counts = vocab.counts();
                for (int i = 0; i < vocab.size(); i++) {
                    tsv.append(vocab.word(i)).append('\t').append(counts[i]).append('\n');
                }
                putEntry(zip, "vocab.tsv", tsv.toString().getBytes(StandardCharsets.UTF_8), sums);
                float[] block = new float[1 << 18];
                ByteBuffer bytes = ByteBuffer.allocate(block.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (Map.Entry<String, Tensor> e : arrays.entrySet()) {
                    Tensor t = e.getValue();
                    String name = "arrays/" + e.getKey() + ".npy";
                    shapes.putArray(e.getKey()).add(t.rows()).add(t.cols());
                    // stored, not deflated: float32 weights hardly compress, and deflating a 200,000-word layer took
                    // most of a warm start's time. A first pass computes the CRC the entry's header needs and checks
                    // that every value is finite (parameters that are not never replace the last good checkpoint).
                    byte[] header = Npy.header(t.rows(), t.cols());
                    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                    crc.update(header);
                    java.util.zip.CheckedOutputStream probe = new java.util.zip.CheckedOutputStream(
                            OutputStream.nullOutputStream(), crc);
                    if (!writeData(t, b, block, bytes, probe)) {
                        throw new io.spherical.models.output.DivergenceException("the array " + e.getKey() + " holds "
                                + "values that are not finite; the checkpoint " + file + " was not replaced");
                    }
                    ZipEntry entry = new ZipEntry(name);
                    entry.setMethod(ZipEntry.STORED);
                    entry.setSize(header.length + 4L * t.rows() * t.cols());
                    entry.setCompressedSize(entry.getSize());
                    entry.setCrc(crc.getValue());
                    zip.putNextEntry(entry);
                    MessageDigest md = sha256();
                    DigestOutputStream out = new DigestOutputStream(zip, md);
                    out.write(header);
                    writeData(t, b, block, bytes, out);
                    out.flush();
                    zip.closeEntry();
                    sums.put(name, HexFormat.of().formatHex(md.digest()));
                }
                putEntry(zip, "manifest.json", JSON.writeValueAsBytes(m), null);
            }
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
            tmp = null;
            forceDirectory(dir);
        } catch (IOException e) {
            throw new UserException("Cannot write the checkpoint " + file + ": " + e.getMessage()
                    + ". The previous checkpoint, if any, is intact. Fix: free disk space or choose a writable --out.", e);
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the temporary file is named *.tmp and harmless
                }
            }
        }
    }

    /**
     * Forces a directory's entries to disk, so that a file just renamed into it survives a power cut (the last step of
     * every atomic write of a run's files). File systems that cannot open or force a directory (Windows, some network
     * ones) throw; there the rename is as durable as they make it, and that is ignored.
     */
    public static void forceDirectory(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // no directory fsync on this file system: nothing more can be done
        }
    }

    /** Writes the array's values; false when one of them is not finite (the caller then keeps the old checkpoint). */
    private static boolean writeData(Tensor t, Backend b, float[] block, ByteBuffer bytes, OutputStream out)
            throws IOException {
        int cols = t.cols();
        int rowsPerBlock = Math.max(1, block.length / Math.max(cols, 1));
        if (cols > block.length) {
            float[] all = b.toHost(t);
            ByteBuffer bb = ByteBuffer.allocate(all.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            bb.asFloatBuffer().put(all);
            out.write(bb.array());
            return finite(all, all.length);
        }
        boolean finite = true;
        for (int r0 = 0; r0 < t.rows(); r0 += rowsPerBlock) {
            int r1 = Math.min(t.rows(), r0 + rowsPerBlock);
            int n = (r1 - r0) * cols;
            b.download(t.rowRange(r0, r1), block);
            finite &= finite(block, n);
            bytes.clear();
            bytes.asFloatBuffer().put(block, 0, n);
            out.write(bytes.array(), 0, n * 4);
        }
        return finite;
    }

    private static boolean finite(float[] v, int n) {
        for (int i = 0; i < n; i++) {
            if (!Float.isFinite(v[i])) {
                return false;
            }
        }
        return true;
    }

    private static void putEntry(ZipOutputStream zip, String name, byte[] data, ObjectNode sums) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(data);
        zip.closeEntry();
        if (sums != null) {
            sums.put(name, HexFormat.of().formatHex(sha256().digest(data)));
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Reads the manifest and the vocabulary, checking the format, version and the vocabulary's checksum.
     *
     * @throws UserException for a missing, truncated, foreign or corrupted file
     */
    public static Checkpoint read(Path file) {
        try {
            if (Files.isRegularFile(file) && Files.size(file) == 0) {
                throw damaged(file, "it is empty (0 bytes)");
            }
        } catch (IOException e) {
            throw unusable(file, e.getMessage());
        }
        try (ZipFile zip = new ZipFile(file.toFile())) {
            ZipEntry me = zip.getEntry("manifest.json");
            if (me == null) {
                throw unusable(file, "it has no manifest.json");
            }
            JsonNode node;
            try (InputStream in = zip.getInputStream(me)) {
                node = JSON.readTree(in.readNBytes(16 << 20));
            }
            if (!(node instanceof ObjectNode m) || !FORMAT.equals(m.path("format").asText())) {
                throw unusable(file, "it is not a Spherical checkpoint");
            }
            if (m.path("version").asInt() != VERSION) {
                throw unusable(file, "its format version " + m.path("version").asInt() + " is not " + VERSION);
            }
            byte[] tsv = entryBytes(zip, file, "vocab.tsv", m, 1L << 30);
            List<String> words = new ArrayList<>();
            List<Long> counts = new ArrayList<>();
            for (String line : new String(tsv, StandardCharsets.UTF_8).split("\n")) {
                if (line.isEmpty()) {
                    continue;
                }
                int tab = line.lastIndexOf('\t');
                if (tab < 0) {
                    throw unusable(file, "its vocabulary is malformed");
                }
                words.add(line.substring(0, tab));
                counts.add(Long.parseLong(line.substring(tab + 1)));
            }
            return new Checkpoint(file, m, new Vocabulary(words, counts.stream().mapToLong(Long::longValue).toArray()));
        } catch (NoSuchFileException e) {
            throw new UserException("No checkpoint at " + file + ". Fix: check the run directory, or train without --resume.", e);
        } catch (ZipException e) {
            throw damaged(file, "it is truncated or not a zip file (" + e.getMessage() + ")");
        } catch (IOException | NumberFormatException e) {
            throw unusable(file, e.getMessage());
        }
    }

    private static byte[] entryBytes(ZipFile zip, Path file, String name, ObjectNode m, long limit) throws IOException {
        ZipEntry e = zip.getEntry(name);
        if (e == null) {
            throw unusable(file, "it has no " + name);
        }
        if (e.getSize() > limit) {
            throw unusable(file, name + " declares " + e.getSize() + " bytes");
        }
        byte[] data;
        try (InputStream in = zip.getInputStream(e)) {
            data = in.readNBytes((int) Math.min(limit, Integer.MAX_VALUE - 8));
        }
        String expected = m.path("checksums").path(name).asText(null);
        if (expected == null || !expected.equals(HexFormat.of().formatHex(sha256().digest(data)))) {
            throw unusable(file, "the checksum of " + name + " does not match");
        }
        return data;
    }

    /**
     * Loads every array into the given live tensors (same names and shapes as when written). Shapes are checked from
     * each header before data is read; every array's checksum is verified.
     */
    public void restore(Map<String, Tensor> into, Backend b) {
        try (ZipFile zip = new ZipFile(file.toFile())) {
            for (Map.Entry<String, Tensor> e : into.entrySet()) {
                String name = "arrays/" + e.getKey() + ".npy";
                ZipEntry ze = zip.getEntry(name);
                if (ze == null) {
                    throw unusable(file, "it has no array " + e.getKey() + " (a checkpoint of another model)");
                }
                Tensor t = e.getValue();
                MessageDigest md = sha256();
                try (InputStream raw = zip.getInputStream(ze);
                     java.security.DigestInputStream in = new java.security.DigestInputStream(raw, md)) {
                    byte[] head = in.readNBytes(10);
                    int hlen = head.length == 10 ? (head[8] & 0xff) | ((head[9] & 0xff) << 8) : 0;
                    byte[] full = new byte[10 + hlen];
                    System.arraycopy(head, 0, full, 0, head.length);
                    int got = in.readNBytes(full, 10, hlen);
                    Npy.checkHeader(full, head.length + got, name, t.rows(), t.cols());
                    readData(in, t, b, name);
                    if (in.read() != -1) {
                        throw unusable(file, name + " has trailing bytes");
                    }
                }
                String expected = manifest.path("checksums").path(name).asText(null);
                if (expected == null || !expected.equals(HexFormat.of().formatHex(md.digest()))) {
                    throw unusable(file, "the checksum of " + name + " does not match");
                }
            }
        } catch (ZipException e) {
            throw damaged(file, "it is truncated or not a zip file (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw unusable(file, e.getMessage());
        }
    }

    private void readData(InputStream in, Tensor t, Backend b, String name) throws IOException {
        int cols = t.cols();
        int rowsPerBlock = Math.max(1, (1 << 18) / Math.max(cols, 1));
        float[] block = new float[rowsPerBlock * cols];
        byte[] bytes = new byte[block.length * 4];
        for (int r0 = 0; r0 < t.rows(); r0 += rowsPerBlock) {
            int r1 = Math.min(t.rows(), r0 + rowsPerBlock);
            int n = (r1 - r0) * cols;
            int got = in.readNBytes(bytes, 0, n * 4);
            if (got != n * 4) {
                throw unusable(file, name + " is truncated");
            }
            ByteBuffer.wrap(bytes, 0, n * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(block, 0, n);
            b.upload(block, t.rowRange(r0, r1));
        }
    }

    private static UserException unusable(Path file, String why) {
        return new UserException("Cannot use the checkpoint " + file + ": " + oneLine(why) + ". Fix: resume from an "
                + "intact checkpoint or start a new run in another --out directory.");
    }

    /** An empty or cut-short file (an interrupted copy, a full disk): deleting it lets the protocol recompute it. */
    private static UserException damaged(Path file, String why) {
        return new UserException("Cannot use the checkpoint " + file + ": " + oneLine(why) + ". Fix: delete it and run "
                + "the same command again (an experiment retrains or retests what it held; a single run then starts "
                + "afresh without --resume), or put back an intact copy.");
    }

    /** A reason on one line (parsers' messages may span several). */
    private static String oneLine(String why) {
        return why == null ? "unreadable" : why.replaceAll("\\s+", " ").strip();
    }
}
