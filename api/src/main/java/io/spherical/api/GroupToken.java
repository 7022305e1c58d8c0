package io.spherical.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * The group token, the shared secret that admits a worker to a data-parallel group of several processes: read from a
 * file ({@code --group-token-file}) or from the environment variable {@value #ENV}, its surrounding whitespace
 * removed (so that {@code head -c 32 /dev/urandom | base64 > token} and the same text in the variable are the same
 * token); or made afresh ({@link #fresh()}) by a launcher for its own workers. Problems are one-line
 * {@link UserException}s saying how to make a token.
 */
public final class GroupToken {
    /** The environment variable that holds the token when no file is given. */
    public static final String ENV = "SPHERICAL_GROUP_TOKEN";
    /** Random bytes in a token made by {@link #fresh()}. */
    public static final int RANDOM_BYTES = 32;
    /** How to make and share a token, for the fixes of messages. */
    public static final String HOW = "make one with `head -c 32 /dev/urandom | base64 > token` and give the same file "
            + "to every worker with --group-token-file token (or put its text in " + ENV + ")";

    private GroupToken() {
    }

    /** The token of {@code file} when it is not null, else the environment's ({@link #fromEnvironment()}). */
    public static byte[] resolve(Path file) {
        return file != null ? read(file) : fromEnvironment();
    }

    /** The token in {@code file}, without surrounding whitespace; an unreadable or empty file is one line. */
    public static byte[] read(Path file) {
        byte[] raw;
        try {
            raw = Files.readAllBytes(file);
        } catch (IOException | SecurityException e) {
            String why = e instanceof NoSuchFileException ? "no such file" : e instanceof AccessDeniedException
                    ? "permission denied" : String.valueOf(e.getMessage()).replaceAll("\\s+", " ");
            throw new UserException("Cannot read the group token file " + file + " (" + why + "). Fix: give "
                    + "--group-token-file a readable file; " + HOW + ".", e);
        }
        byte[] token = strip(raw);
        if (token.length == 0) {
            throw new UserException("The group token file " + file + " is empty. Fix: " + HOW + ".");
        }
        return token;
    }

    /** The token in {@value #ENV}, or null when the variable is not set; set but blank is one line. */
    public static byte[] fromEnvironment() {
        return parse(System.getenv(ENV));
    }

    /** The token in {@code text} (the value of {@value #ENV}): null for null, refused when blank. */
    static byte[] parse(String text) {
        if (text == null) {
            return null;
        }
        byte[] token = strip(text.getBytes(StandardCharsets.UTF_8));
        if (token.length == 0) {
            throw new UserException(ENV + " is set but empty. Fix: " + HOW + ", or unset it and give "
                    + "--group-token-file.");
        }
        return token;
    }

    /** A new random token: {@value #RANDOM_BYTES} bytes of {@link SecureRandom}, in Base64 (the text to share). */
    public static String fresh() {
        byte[] b = new byte[RANDOM_BYTES];
        new SecureRandom().nextBytes(b);
        return Base64.getEncoder().encodeToString(b);
    }

    /** {@code raw} without the ASCII whitespace (space, tab, line ends) at its two ends. */
    static byte[] strip(byte[] raw) {
        int from = 0;
        int to = raw.length;
        while (from < to && blank(raw[from])) {
            from++;
        }
        while (to > from && blank(raw[to - 1])) {
            to--;
        }
        return Arrays.copyOfRange(raw, from, to);
    }

    private static boolean blank(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r' || b == '\f' || b == 0x0B;
    }
}
