package io.spherical.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The group token: a file's text and the environment's are the same token once their surrounding whitespace is
 * gone; a missing, unreadable or empty file, or a blank variable, is one line saying how to make a token; a fresh
 * token is 32 random bytes in Base64.
 */
class GroupTokenTest {

    @Test
    void aFileAndTheVariableGiveTheSameTokenWithoutTheirWhitespace(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("token"), "  q9Z+/abc==\r\n");
        byte[] expected = "q9Z+/abc==".getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(expected, GroupToken.read(file));
        assertArrayEquals(expected, GroupToken.resolve(file));
        assertArrayEquals(expected, GroupToken.parse("q9Z+/abc==\n"));
        assertNull(GroupToken.parse(null), "no variable: no token");
    }

    @Test
    void anEmptyOrMissingFileOrABlankVariableIsOneLineSayingHowToMakeAToken(@TempDir Path dir) throws Exception {
        Path empty = Files.writeString(dir.resolve("empty"), " \n\n");
        UserException e = assertThrows(UserException.class, () -> GroupToken.read(empty));
        assertEquals("The group token file " + empty + " is empty. Fix: make one with `head -c 32 /dev/urandom | "
                + "base64 > token` and give the same file to every worker with --group-token-file token (or put its "
                + "text in SPHERICAL_GROUP_TOKEN).", e.getMessage());
        Path missing = dir.resolve("missing");
        UserException m = assertThrows(UserException.class, () -> GroupToken.read(missing));
        assertTrue(m.getMessage().startsWith("Cannot read the group token file " + missing + " (no such file). Fix: "),
                m.getMessage());
        UserException d = assertThrows(UserException.class, () -> GroupToken.read(dir));
        assertTrue(d.getMessage().startsWith("Cannot read the group token file " + dir) && !d.getMessage()
                .contains("\n"), d.getMessage());
        UserException blank = assertThrows(UserException.class, () -> GroupToken.parse("  "));
        assertTrue(blank.getMessage().startsWith("SPHERICAL_GROUP_TOKEN is set but empty. Fix: "), blank.getMessage());
    }

    @Test
    void aFreshTokenIsThirtyTwoRandomBytesInBase64() {
        String a = GroupToken.fresh();
        assertEquals(GroupToken.RANDOM_BYTES, Base64.getDecoder().decode(a).length);
        assertNotEquals(a, GroupToken.fresh());
        assertArrayEquals(a.getBytes(StandardCharsets.US_ASCII), GroupToken.parse(a), "usable as the variable's text");
    }
}
