package io.spherical.training.checkpoint;

import io.spherical.api.UserException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy {@code .npy} version 1.0 for 2-D little-endian float32 arrays: what {@code numpy.load} reads. Any other
 * header (foreign, damaged or hostile bytes) is the one-line user error of an unreadable checkpoint, never another
 * exception.
 */
final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** Magic, version (2 bytes) and header length (2 bytes, little-endian): where the header's dictionary starts. */
    static final int PREAMBLE = MAGIC.length + 4;
    /** A dimension of more digits (leading zeros aside) cannot be an int. */
    private static final int MAX_DIGITS = 10;
    private static final Pattern HEADER = Pattern.compile(
            "\\{'descr': '<f4', 'fortran_order': False, 'shape': \\(([0-9]+), ([0-9]+)\\), }\\s*");

    /** A parsed header: the shape, and the offset of the data. */
    record Header(int rows, int cols, int offset) {
    }

    private Npy() {
    }

    /** The header bytes of a rows x cols float32 array (magic, version, length, dict padded to 64 bytes). */
    static byte[] header(int rows, int cols) {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        int unpadded = MAGIC.length + 2 + 2 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64;
        String full = dict + " ".repeat(pad) + "\n";
        ByteBuffer bb = ByteBuffer.allocate(MAGIC.length + 4 + full.length()).order(ByteOrder.LITTLE_ENDIAN);
        bb.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) full.length());
        bb.put(full.getBytes(StandardCharsets.US_ASCII));
        return bb.array();
    }

    /**
     * Parses a header and checks its shape against the expected one before any data is read, so a corrupted or
     * hostile file cannot make the reader allocate.
     *
     * @return the offset of the data
     */
    static int checkHeader(byte[] head, int length, String entry, int rows, int cols) {
        Header h = parse(head, length, entry);
        if (h.rows() != rows || h.cols() != cols) {
            throw new UserException("Checkpoint array " + entry + " has shape " + h.rows() + "x" + h.cols()
                    + " but this model needs " + rows + "x" + cols + " (a checkpoint of another model or vocabulary)."
                    + " Fix: resume with the configuration and corpus it was trained with, or start a new run directory.");
        }
        return h.offset();
    }

    /**
     * Parses the header at the start of the first {@code length} bytes of {@code head}.
     *
     * @throws UserException for anything but a version 1.0, 2-D, little-endian float32, C-order header whose dimensions
     *                       are ints and which ends within the bytes given
     */
    static Header parse(byte[] head, int length, String entry) {
        int n = Math.min(Math.max(length, 0), head.length);
        if (n < PREAMBLE) {
            throw corrupt(entry, "too short for a .npy header");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (head[i] != MAGIC[i]) {
                throw corrupt(entry, "not a .npy array");
            }
        }
        if (head[6] != 1 || head[7] != 0) {
            throw corrupt(entry, "unsupported .npy version " + (head[6] & 0xff) + "." + (head[7] & 0xff));
        }
        int hlen = (head[8] & 0xff) | ((head[9] & 0xff) << 8);
        if (PREAMBLE + hlen > n) {
            throw corrupt(entry, "header longer than the entry");
        }
        String dict = new String(head, PREAMBLE, hlen, StandardCharsets.US_ASCII);
        Matcher m = HEADER.matcher(dict);
        if (!m.matches()) {
            throw corrupt(entry, "unsupported array header " + printable(dict));
        }
        return new Header(dimension(m.group(1), entry), dimension(m.group(2), entry), PREAMBLE + hlen);
    }

    /**
     * A whole array held in memory, row-major (for tools and tests; checkpoints stream their arrays instead).
     *
     * @throws UserException for a bad header, or data that is not exactly rows x cols floats
     */
    static float[] read(byte[] npy, String entry) {
        Header h = parse(npy, npy.length, entry);
        long elements = (long) h.rows() * h.cols();
        long bytes = npy.length - h.offset();
        if (elements > Integer.MAX_VALUE - 8 || elements * 4 != bytes) {
            throw corrupt(entry, "shape " + h.rows() + "x" + h.cols() + " does not match its " + bytes + " data bytes");
        }
        float[] out = new float[(int) elements];
        ByteBuffer.wrap(npy, h.offset(), (int) bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
        return out;
    }

    /** A dimension's digits as an int; a user error when it does not fit. */
    private static int dimension(String digits, String entry) {
        int first = 0;
        while (first < digits.length() - 1 && digits.charAt(first) == '0') {
            first++;
        }
        String d = digits.substring(first);
        if (d.length() > MAX_DIGITS || Long.parseLong(d) > Integer.MAX_VALUE) {
            throw corrupt(entry, "dimension " + printable(digits) + " is too large");
        }
        return Integer.parseInt(d);
    }

    /** Untrusted header text for a one-line message: printable ASCII only, at most 120 characters. */
    private static String printable(String s) {
        String t = s.strip().replaceAll("[^\\x20-\\x7e]", "?");
        return t.length() > 120 ? t.substring(0, 120) + "..." : t;
    }

    private static UserException corrupt(String entry, String why) {
        return new UserException("Checkpoint array " + entry + " is corrupted (" + why + "). Fix: use an earlier "
                + "checkpoint or start a new run directory.");
    }
}
