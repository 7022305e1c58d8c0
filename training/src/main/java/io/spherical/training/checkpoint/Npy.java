package io.spherical.training.checkpoint;

import io.spherical.api.UserException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** NumPy {@code .npy} version 1.0 for 2-D little-endian float32 arrays: what {@code numpy.load} reads. */
final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern HEADER = Pattern.compile(
            "\\{'descr': '<f4', 'fortran_order': False, 'shape': \\((\\d+), (\\d+)\\), }\\s*");

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
        if (length < 10) {
            throw corrupt(entry, "too short for a .npy header");
        }
        for (int i = 0; i < MAGIC.length; i++) {
            if (head[i] != MAGIC[i]) {
                throw corrupt(entry, "not a .npy array");
            }
        }
        int hlen = (head[8] & 0xff) | ((head[9] & 0xff) << 8);
        if (10 + hlen > length) {
            throw corrupt(entry, "header longer than the entry");
        }
        String dict = new String(head, 10, hlen, StandardCharsets.US_ASCII);
        Matcher m = HEADER.matcher(dict);
        if (!m.matches()) {
            throw corrupt(entry, "unsupported array header " + dict.strip());
        }
        long r = Long.parseLong(m.group(1));
        long c = Long.parseLong(m.group(2));
        if (r != rows || c != cols) {
            throw new UserException("Checkpoint array " + entry + " has shape " + r + "x" + c + " but this model needs "
                    + rows + "x" + cols + " (a checkpoint of another model or vocabulary). Fix: resume with the "
                    + "configuration and corpus it was trained with, or start a new run directory.");
        }
        return 10 + hlen;
    }

    private static UserException corrupt(String entry, String why) {
        return new UserException("Checkpoint array " + entry + " is corrupted (" + why + "). Fix: use an earlier "
                + "checkpoint or start a new run directory.");
    }
}
