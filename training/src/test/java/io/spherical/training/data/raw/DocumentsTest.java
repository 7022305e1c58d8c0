package io.spherical.training.data.raw;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Documents read in place from folders and archives, Gutenberg's markers removed, WikiExtractor files, bad files. */
class DocumentsTest {
    /** Everything a source yields: documents by id, and skipped names with their reason. */
    static final class Collected implements Documents.Sink {
        final Map<String, String> docs = new TreeMap<>();
        final Map<String, String> skipped = new TreeMap<>();

        @Override
        public void document(Documents.Document d) {
            docs.put(d.id(), d.text());
        }

        @Override
        public void skipped(String name, String reason) {
            skipped.put(name, reason);
        }
    }

    static Collected readAll(Path root, Documents.Format f) {
        Collected c = new Collected();
        for (Path p : Documents.sources(root, f)) {
            Documents.read(p, Files.isDirectory(root) ? root.relativize(p).toString() : p.getFileName().toString(), f, c);
        }
        return c;
    }

    @ParameterizedTest(name = "{0} / {1}")
    @CsvSource(delimiter = '|', value = {
        "*** START OF THIS PROJECT GUTENBERG EBOOK ALICE ***|*** END OF THIS PROJECT GUTENBERG EBOOK ALICE ***",
        "***START OF THE PROJECT GUTENBERG EBOOK ALICE***|***END OF THE PROJECT GUTENBERG EBOOK ALICE***",
        "*END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*Ver.04.29.93*END*|End of the Project Gutenberg EBook of Alice",
        "*** start of the project gutenberg ebook alice ***|End of Project Gutenberg's Alice, by Lewis Carroll",
        "*** START OF THIS PROJECT GUTENBERG EBOOK ALICE ***|***START**THE SMALL PRINT!**FOR PUBLIC DOMAIN ETEXTS**START***",
    })
    void gutenbergHeaderAndFooterAreRemovedWhateverTheirSpelling(String start, String end) {
        String body = "Alice was beginning to get very tired.\n\nSo she was considering.";
        String got = Gutenberg.body(RawCorpusFixture.book("Alice", body, start, end));
        assertEquals(body, got.strip());
    }

    @Test
    void aDocumentWithoutMarkersIsReadWhole() {
        String text = "No header here.\n\nJust a story about the Project Gutenberg idea.";
        assertEquals(text, Gutenberg.body(text));
    }

    @Test
    void booksAreReadFromFoldersAndFromEveryKindOfArchiveInPlace(@TempDir Path tmp) throws IOException {
        Random r = new Random(1);
        String start = "*** START OF THIS PROJECT GUTENBERG EBOOK X ***";
        String end = "*** END OF THIS PROJECT GUTENBERG EBOOK X ***";
        Map<String, String> bodies = new LinkedHashMap<>();
        for (int i = 0; i < 10; i++) {
            bodies.put("Author " + i + "/Book " + i + ".txt", RawCorpusFixture.body(r, 20));
        }
        List<String> names = new ArrayList<>(bodies.keySet());
        Files.createDirectories(tmp.resolve("c/plain/Author 0"));
        Files.writeString(tmp.resolve("c/plain/" + names.get(0)), RawCorpusFixture.book("0", bodies.get(names.get(0)),
                start, end));
        String[] kinds = {"a.tar", "b.tar.gz", "c.tgz", "d.tar.xz", "e.zip"};
        for (int k = 0; k < kinds.length; k++) {
            Map<String, String> entries = new LinkedHashMap<>();
            for (int i = 1 + 2 * k; i < 3 + 2 * k && i < names.size(); i++) {
                entries.put(names.get(i), RawCorpusFixture.book("b", bodies.get(names.get(i)), start, end));
            }
            entries.put("README.md", "not a document");
            Path f = tmp.resolve("c").resolve(kinds[k]);
            if (kinds[k].endsWith(".zip")) {
                RawCorpusFixture.zip(f, entries);
            } else {
                RawCorpusFixture.tar(f, entries);
            }
        }
        Collected c = readAll(tmp.resolve("c"), Documents.Format.BOOKS);
        assertEquals(10, c.docs.size(), c.docs.keySet().toString());
        assertTrue(c.docs.containsKey("plain/Author 0/Book 0.txt"), c.docs.keySet().toString());
        assertTrue(c.docs.containsKey("d.tar.xz!Author 7/Book 7.txt"), c.docs.keySet().toString());
        for (Map.Entry<String, String> e : c.docs.entrySet()) {
            String entry = e.getKey().substring(e.getKey().indexOf('!') + 1).replace("plain/", "");
            assertEquals(bodies.get(entry).strip(), e.getValue().strip(), e.getKey());
        }
        assertTrue(c.skipped.isEmpty(), c.skipped.toString());
        try (var files = Files.walk(tmp.resolve("c"))) {
            assertEquals(6, files.filter(Files::isRegularFile).count(), "nothing was extracted to disk");
        }
    }

    @Test
    void wikiExtractorFilesPlainAndBzip2(@TempDir Path tmp) throws IOException {
        Files.createDirectories(tmp.resolve("w/AA"));
        RawCorpusFixture.wiki(tmp.resolve("w/AA/wiki_00"), Map.of("12", "First article text.\n\nMore text.",
                "13", "Second article."));
        RawCorpusFixture.wiki(tmp.resolve("w/AA/wiki_01.bz2"), Map.of("40", "Compressed article.", "41", "Another one."));
        Collected c = readAll(tmp.resolve("w"), Documents.Format.WIKI);
        assertEquals(Map.of("wiki:12", "First article text.\n\nMore text.", "wiki:13", "Second article.",
                "wiki:40", "Compressed article.", "wiki:41", "Another one."), c.docs);
    }

    @Test
    void badFilesAreSkippedAndCounted(@TempDir Path tmp) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("bad"));
        Files.write(dir.resolve("binary.txt"), new byte[] {'a', 0, 1, 2, 'b'});
        Files.write(dir.resolve("latin1.txt"), "caf\u00e9 au lait".getBytes(StandardCharsets.ISO_8859_1));
        Files.writeString(dir.resolve("empty.txt"), "");
        Files.writeString(dir.resolve("markers-only.txt"), "*** START OF THIS PROJECT GUTENBERG EBOOK X ***\n\n"
                + "*** END OF THIS PROJECT GUTENBERG EBOOK X ***\n");
        Files.writeString(dir.resolve("good.txt"), "A good book. It has two sentences.");
        byte[] huge = new byte[Documents.MAX_DOCUMENT_BYTES + 1024];     // one line longer than a document may be
        java.util.Arrays.fill(huge, (byte) 'x');
        Files.write(dir.resolve("one-huge-line.txt"), huge);
        Collected c = readAll(dir, Documents.Format.BOOKS);
        assertEquals(List.of("good.txt"), List.copyOf(c.docs.keySet()));
        assertEquals(Map.of("binary.txt", "binary", "latin1.txt", "not UTF-8", "empty.txt", "empty",
                "markers-only.txt", "empty", "one-huge-line.txt", "too large"), c.skipped);
    }

    @Test
    void theSplitDependsOnTheDocumentAloneAndFollowsTheFractions() {
        SplitRule rule = new SplitRule(0.8, 0.1, 0.1);
        Map<io.spherical.training.data.Split, Integer> n = new java.util.EnumMap<>(io.spherical.training.data.Split.class);
        for (int i = 0; i < 20_000; i++) {
            String id = "shard.tar!Author " + i + "/Book.txt";
            assertEquals(rule.of(id), rule.of(new String(id)), "deterministic");
            n.merge(rule.of(id), 1, Integer::sum);
        }
        assertEquals(16_000, n.get(io.spherical.training.data.Split.TRAIN), 300);
        assertEquals(2_000, n.get(io.spherical.training.data.Split.VALID), 150);
        assertEquals(2_000, n.get(io.spherical.training.data.Split.TEST), 150);
        assertFalse(rule.of("a").equals(rule.of("a")) && SplitRule.unit("a") == SplitRule.unit("b"));
    }
}
