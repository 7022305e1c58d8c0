package io.spherical.training.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.UserException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Generated {@code .npy} headers fed to the header parser: random bytes, and valid headers with a field mutated (huge,
 * negative, empty or missing dimensions, other dtypes and orders, missing keys, wrong versions and lengths,
 * truncations, random prefixes). The one-line {@link UserException} is the only thing that may escape; a valid header
 * and its data round-trip. Bounded tries, fixed seeds.
 */
class NpyHeaderFuzzTest {
    private static final String ENTRY = "arrays/x.npy";
    private static final String VALID = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s, %s), }";

    /** A dimension as text: small, huge (past long), at the int and long limits, negative, not a number. */
    private static Arbitrary<String> dimensions() {
        return Arbitraries.oneOf(
                Arbitraries.integers().between(0, 5000).map(i -> Integer.toString(i)),
                Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(40),
                Arbitraries.longs().map(l -> Long.toString(l)),
                Arbitraries.of("99999999999999999999", "2147483647", "2147483648", "4294967296", "9223372036854775807",
                        "9223372036854775808", "0", "000000000000000000003", "-1", "-2147483648", "1e3", "0x10", "3.0",
                        "", " ", "+3", "\u0663", "3L"));
    }

    @Provide
    Arbitrary<byte[]> headers() {
        Arbitrary<String> number = dimensions();
        // the exact layout numpy writes, with any dimensions (oversized ones were a NumberFormatException)
        Arbitrary<byte[]> template = Combinators.combine(number, number)
                .as((r, c) -> npy(String.format(VALID, r, c), true));
        Arbitrary<String> shape = Arbitraries.oneOf(
                Combinators.combine(number, number).as((r, c) -> "(" + r + ", " + c + ")"),
                number.map(r -> "(" + r + ",)"),
                Arbitraries.of("()", "(2, 3, 4)", "[2, 3]", "(2 3)", "(, )", "None", "(2, 3"),
                Arbitraries.strings().ascii().ofMaxLength(20));
        Arbitrary<String> descr = Arbitraries.oneOf(
                Arbitraries.of("'<f4'", "'<f8'", "'>f4'", "'|u1'", "'<i4'", "'f4'", "<f4", "''", "'<f4"),
                Arbitraries.strings().all().ofMaxLength(12).map(s -> "'" + s + "'"));
        Arbitrary<String> order = Arbitraries.of("False", "True", "0", "None", "'False'", "");
        Arbitrary<byte[]> fields = Combinators.combine(descr, order, shape, Arbitraries.integers().between(0, 7))
                .as((d, o, s, drop) -> npy(dict(d, o, s, drop), drop != 7));
        Arbitrary<byte[]> mutated = Combinators.combine(Arbitraries.integers().between(0, 100_000),
                        Arbitraries.integers().between(0, 100_000), Arbitraries.integers().between(0, 6),
                        Arbitraries.integers().between(0, 1 << 20))
                .as((r, c, how, x) -> mutate(r, c, how, x));
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(300);
        Arbitrary<byte[]> magicThenRandom = random.map(b -> concat(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0,
            (byte) b.length, (byte) (b.length >> 8)}, b));
        Arbitrary<byte[]> garbage = Arbitraries.strings().all().ofMaxLength(200)
                .map(s -> npy(s, s.length() % 2 == 0));
        return Arbitraries.oneOf(template, template, fields, fields, mutated, random, magicThenRandom, garbage);
    }

    @Property(tries = 10000, seed = "20163")
    void theHeaderParserOnlyThrowsTheOneLineUserError(@ForAll("headers") byte[] bytes,
                                                      @ForAll @IntRange(min = 0, max = 400) int cut) {
        expectUserErrorOrSuccess(() -> Npy.parse(bytes, bytes.length, ENTRY));
        expectUserErrorOrSuccess(() -> Npy.parse(bytes, Math.min(cut, bytes.length), ENTRY));
        expectUserErrorOrSuccess(() -> Npy.checkHeader(bytes, bytes.length, ENTRY, 2, 3));
        expectUserErrorOrSuccess(() -> Npy.read(bytes, ENTRY));
        try {
            Npy.Header h = Npy.parse(bytes, bytes.length, ENTRY);
            assertTrue(h.rows() >= 0 && h.cols() >= 0 && h.offset() <= bytes.length, h.toString());
            assertEquals(h.offset(), Npy.checkHeader(bytes, bytes.length, ENTRY, h.rows(), h.cols()));
        } catch (UserException expected) {
            // the documented failure, checked above
        }
    }

    @Property(tries = 10000, seed = "20164")
    void aValidHeaderAndItsDataRoundTrip(@ForAll @IntRange(min = 0, max = 40) int rows,
                                         @ForAll @IntRange(min = 0, max = 40) int cols, @ForAll long seed) {
        Random r = new Random(seed);
        float[] data = new float[rows * cols];
        for (int i = 0; i < data.length; i++) {
            data[i] = r.nextInt(10) == 0 ? Float.intBitsToFloat(r.nextInt()) : (float) r.nextGaussian();
        }
        byte[] head = Npy.header(rows, cols);
        assertEquals(0, head.length % 64, "numpy aligns the data to 64 bytes");
        ByteBuffer bb = ByteBuffer.allocate(head.length + data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.put(head);
        bb.asFloatBuffer().put(data);
        byte[] npy = bb.array();
        assertEquals(head.length, Npy.checkHeader(npy, npy.length, ENTRY, rows, cols));
        assertEquals(new Npy.Header(rows, cols, head.length), Npy.parse(npy, npy.length, ENTRY));
        assertArrayEquals(data, Npy.read(npy, ENTRY));
        assertOneLine(assertThrows(UserException.class, () -> Npy.checkHeader(npy, npy.length, ENTRY, rows + 1, cols)));
        assertOneLine(assertThrows(UserException.class, () -> Npy.read(Arrays.copyOf(npy, npy.length + 4), ENTRY)));
        if (data.length > 0) {
            assertOneLine(assertThrows(UserException.class, () -> Npy.read(Arrays.copyOf(npy, npy.length - 1), ENTRY)));
        }
    }

    /** The call returns, or throws the one-line user error naming the array; anything else fails the property. */
    private static void expectUserErrorOrSuccess(Runnable call) {
        try {
            call.run();
        } catch (UserException e) {
            assertOneLine(e);
        }
    }

    private static void assertOneLine(UserException e) {
        String m = e.getMessage();
        assertTrue(m.startsWith("Checkpoint array " + ENTRY + " "), m);
        assertTrue(m.contains("Fix: "), m);
        assertFalse(m.contains("\n") || m.contains("\r"), "one line: " + m);
    }

    /** A header dictionary with one key left out ({@code drop} 1 to 3) or all present. */
    private static String dict(String descr, String order, String shape, int drop) {
        StringBuilder b = new StringBuilder("{");
        if (drop != 1) {
            b.append("'descr': ").append(descr).append(", ");
        }
        if (drop != 2) {
            b.append("'fortran_order': ").append(order).append(", ");
        }
        if (drop != 3) {
            b.append("'shape': ").append(shape).append(", ");
        }
        return b.append('}').toString();
    }

    /** Magic, version 1.0, the length and the dictionary (UTF-8), padded as numpy pads when {@code pad}. */
    private static byte[] npy(String dict, boolean pad) {
        byte[] d = dict.getBytes(StandardCharsets.UTF_8);
        int n = Math.min(d.length, 60_000);
        int padding = pad ? (64 - (10 + n + 1) % 64) % 64 + 1 : 0;
        byte[] out = new byte[10 + n + padding];
        System.arraycopy(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}, 0, out, 0, 8);
        int hlen = n + padding;
        out[8] = (byte) hlen;
        out[9] = (byte) (hlen >> 8);
        System.arraycopy(d, 0, out, 10, n);
        Arrays.fill(out, 10 + n, out.length, (byte) ' ');
        if (pad) {
            out[out.length - 1] = '\n';
        }
        return out;
    }

    /** A valid rows x cols header, with a byte flipped, cut short, a wrong length or version, or a prefix. */
    private static byte[] mutate(int rows, int cols, int how, int x) {
        byte[] h = Npy.header(rows, cols);
        switch (how) {
            case 0 -> h[x % h.length] ^= (byte) (1 + x % 255);
            case 1 -> h = Arrays.copyOf(h, x % h.length);
            case 2 -> {
                h[8] = (byte) x;
                h[9] = (byte) (x >> 8);
            }
            case 3 -> h[6 + x % 2] = (byte) (x >> 1);
            case 4 -> {
                byte[] prefix = new byte[1 + x % 7];
                Arrays.fill(prefix, (byte) x);
                h = concat(prefix, h);
            }
            case 5 -> h = concat(h, new byte[x % 9]);
            default -> {
                // valid
            }
        }
        return h;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
