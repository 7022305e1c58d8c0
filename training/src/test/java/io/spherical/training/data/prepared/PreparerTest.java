package io.spherical.training.data.prepared;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.UserException;
import io.spherical.models.lm.Vocabulary;
import io.spherical.training.CorpusVocabulary;
import io.spherical.training.data.Corpus;
import io.spherical.training.data.Corpora;
import io.spherical.training.data.IdStream;
import io.spherical.training.data.Split;
import io.spherical.training.data.raw.RawCorpusFixture;
import io.spherical.training.data.raw.RawText;
import io.spherical.training.data.raw.SplitRule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Preparation: split by document, independent of file order, the cache reused, invalidated and never half-used. */
class PreparerTest {
    private static final String START = "*** START OF THIS PROJECT GUTENBERG EBOOK X ***";
    private static final String END = "*** END OF THIS PROJECT GUTENBERG EBOOK X ***";

    /** Writes {@code n} books under {@code dir}, in the given order of indices; returns their bodies by relative path. */
    static Map<String, String> books(Path dir, int n, boolean reverse) throws IOException {
        Map<String, String> bodies = new HashMap<>();
        for (int k = 0; k < n; k++) {
            int i = reverse ? n - 1 - k : k;
            String rel = "Author " + i % 7 + "/Book " + i + ".txt";
            String body = RawCorpusFixture.body(new Random(i), 30);
            Files.createDirectories(dir.resolve(rel).getParent());
            Files.writeString(dir.resolve(rel), RawCorpusFixture.book("b" + i, body, START, END));
            bodies.put(rel, body);
        }
        return bodies;
    }

    private final List<String> status = new ArrayList<>();

    /** Small corpora need larger validation and test fractions than the default 1% to get a document in each. */
    static final String SPLIT = "?split=0.6,0.2,0.2";
    static final SplitRule RULE = new SplitRule(0.6, 0.2, 0.2);

    private PreparedCorpus open(Path dir, Path cache) {
        return (PreparedCorpus) Corpora.open("books:" + dir + SPLIT, cache, status::add);
    }

    static int[] ids(PreparedCorpus c, Split s, Vocabulary v) {
        List<Integer> out = new ArrayList<>();
        for (Corpus.Chunk ch : c.chunks(s)) {
            IdStream st = ch.ids(v);
            for (int t = 0; t < st.size(); t++) {
                out.add(st.target(t));
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void everyDocumentLandsWholeInTheSplitItsIdentityNames(@TempDir Path tmp) throws IOException {
        Map<String, String> bodies = books(tmp.resolve("books"), 60, false);
        PreparedCorpus c = open(tmp.resolve("books"), tmp.resolve("cache"));
        Vocabulary full = c.vocabulary(1, 0);
        // the expected ids of each split: its documents in the order of their paths, tokenised, with the full vocabulary
        for (Split s : Split.values()) {
            List<Integer> expected = new ArrayList<>();
            bodies.keySet().stream().sorted().filter(rel -> RULE.of(rel) == s).forEach(rel ->
                    new RawText(false).sentences(bodies.get(rel), sentence -> {
                        sentence.forEach(w -> expected.add(full.id(w)));
                        expected.add(0);
                    }));
            assertArrayEquals(expected.stream().mapToInt(Integer::intValue).toArray(), ids(c, s, full), s.name());
            assertEquals(bodies.keySet().stream().filter(rel -> RULE.of(rel) == s).count(),
                    c.manifest().path("splits").path(s.name().toLowerCase()).path("documents").asLong(), s.name());
        }
    }

    @Test
    void thePreparedIdsDoNotDependOnTheOrderFilesWereWritten(@TempDir Path tmp) throws IOException {
        books(tmp.resolve("x/books"), 40, false);
        books(tmp.resolve("y/books"), 40, true);
        PreparedCorpus a = open(tmp.resolve("x/books"), tmp.resolve("cache"));
        PreparedCorpus b = open(tmp.resolve("y/books"), tmp.resolve("cache"));
        assertNotEquals(a.directory(), b.directory(), "two corpora, two cache entries");
        for (String f : List.of("train.ids", "valid.ids", "test.ids", "vocab.tsv")) {
            assertArrayEquals(Files.readAllBytes(a.directory().resolve(f)), Files.readAllBytes(b.directory().resolve(f)), f);
        }
    }

    @Test
    void theCacheIsReusedInvalidatedAndNeverHalfUsed(@TempDir Path tmp) throws IOException {
        Path books = tmp.resolve("books");
        books(books, 30, false);
        Path cache = tmp.resolve("cache");
        PreparedCorpus first = open(books, cache);
        assertEquals(1, status.stream().filter(l -> l.startsWith("Preparing")).count());
        FileTime written = Files.getLastModifiedTime(first.directory().resolve("train.ids"));
        PreparedCorpus again = open(books, cache);
        assertEquals(first.directory(), again.directory());
        assertEquals(1, status.stream().filter(l -> l.startsWith("Preparing")).count(), "reused: " + status);
        assertEquals(written, Files.getLastModifiedTime(again.directory().resolve("train.ids")));

        // a changed source: another entry, prepared afresh
        Path one = books.resolve("Author 0/Book 0.txt");
        Files.writeString(one, Files.readString(one) + "\nOne more sentence at the end.\n");
        PreparedCorpus changed = open(books, cache);
        assertNotEquals(first.directory(), changed.directory());
        assertEquals(2, status.stream().filter(l -> l.startsWith("Preparing")).count());
        // another setting: another entry
        PreparedCorpus kept = (PreparedCorpus) Corpora.open("books:" + books + "?case=keep&split=0.6,0.2,0.2", cache,
                status::add);
        assertNotEquals(changed.directory(), kept.directory());
        assertTrue(kept.spec().endsWith("?case=keep&split=0.6,0.2,0.2"), kept.spec());

        // a half-written entry (killed before its manifest) or a truncated ids file is never used
        Files.delete(changed.directory().resolve(PreparedCorpus.MANIFEST));
        assertEquals(null, PreparedCorpus.openIfComplete(changed.directory(), "x"));
        PreparedCorpus redone = open(books, cache);
        assertNotNull(redone);
        assertEquals(4, status.stream().filter(l -> l.startsWith("Preparing")).count(), status.toString());
        Path ids = redone.directory().resolve("train.ids");
        byte[] b = Files.readAllBytes(ids);
        Files.write(ids, java.util.Arrays.copyOf(b, b.length / 2));
        assertEquals(null, PreparedCorpus.openIfComplete(redone.directory(), "x"));
        assertNotNull(open(books, cache));
        assertEquals(5, status.stream().filter(l -> l.startsWith("Preparing")).count(), status.toString());
        try (var s = Files.list(cache.resolve("prepared"))) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().startsWith(".tmp-")), "no temporary folder left");
        }
    }

    @Test
    void aVocabularyBySizeIsAPrefixAndTheRestReadsAsUnknown(@TempDir Path tmp) throws IOException {
        books(tmp.resolve("books"), 30, false);
        PreparedCorpus c = open(tmp.resolve("books"), tmp.resolve("cache"));
        Vocabulary full = c.vocabulary(1, 0);
        Vocabulary top = CorpusVocabulary.of(c, 1, 10);
        assertEquals(12, top.size());
        assertEquals(full.words().subList(0, 12), top.words());
        long[] fc = full.counts();
        for (int i = 3; i < fc.length; i++) {
            assertTrue(fc[i - 1] >= fc[i], "decreasing counts");
        }
        int[] a = ids(c, Split.TRAIN, full);
        int[] b = ids(c, Split.TRAIN, top);
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i] < 12 ? a[i] : 1, b[i]);
        }
        assertTrue(c.oovRate(Split.VALID, top) > c.oovRate(Split.VALID, full));
        assertEquals(CorpusVocabulary.of(c, 1, 10).words(), Vocabulary.build(counts(c, full), fc[0], 1).limited(10)
                .words(), "the same vocabulary as counting the text");
    }

    private static Map<String, Long> counts(PreparedCorpus c, Vocabulary full) {
        Map<String, Long> m = new HashMap<>();
        for (int id : ids(c, Split.TRAIN, full)) {
            if (id != 0) {
                m.merge(full.word(id), 1L, Long::sum);
            }
        }
        return m;
    }

    @Test
    void aCorpusOfFewerThanThreeDocumentsIsRefused(@TempDir Path tmp) throws IOException {
        books(tmp.resolve("two"), 2, false);
        UserException e = assertThrows(UserException.class, () -> open(tmp.resolve("two"), tmp.resolve("cache")));
        assertTrue(e.getMessage().contains("at least 3") && e.getMessage().contains("Fix:"), e.getMessage());
        UserException none = assertThrows(UserException.class, () -> Corpora.open("books:" + tmp.resolve("nothing"),
                tmp.resolve("cache"), l -> { }));
        assertTrue(none.getMessage().contains("does not exist"), none.getMessage());
    }

    @Test
    void aFolderOfBooksIsDetectedWithoutThePrefix(@TempDir Path tmp) throws IOException {
        books(tmp.resolve("books"), 12, false);
        Corpus c = Corpora.open(tmp.resolve("books") + SPLIT, tmp.resolve("cache"), l -> { });
        assertTrue(c instanceof PreparedCorpus && c.spec().startsWith("books:"), c.spec());
    }

    @Test
    void aLargeLinePerSentenceCorpusIsPreparedAndReadsAsTheSameIds(@TempDir Path tmp) throws IOException {
        Path dir = io.spherical.training.SyntheticCorpus.write(tmp.resolve("lines"), 80, 800, 5);
        Files.writeString(dir.resolve("train.txt"), "a <unk> b\n", java.nio.file.StandardOpenOption.APPEND);
        io.spherical.training.data.LineCorpus direct = new io.spherical.training.data.LineCorpus(dir);
        System.setProperty("spherical.prepareLinesAbove", "0");
        Corpus prepared;
        try {
            prepared = Corpora.open(dir.toString(), tmp.resolve("cache"), status::add);
        } finally {
            System.clearProperty("spherical.prepareLinesAbove");
        }
        assertTrue(prepared instanceof PreparedCorpus, prepared.describe());
        assertEquals(direct.spec(), prepared.spec(), "the same spec reopens it");
        for (int min : new int[] {1, 3}) {
            Vocabulary a = CorpusVocabulary.of(direct, min);
            Vocabulary b = CorpusVocabulary.of(prepared, min);
            assertEquals(a.words(), b.words(), "min count " + min);
            assertArrayEquals(a.counts(), b.counts(), "min count " + min);
            for (Split s : Split.values()) {
                IdStream x = direct.chunks(s).get(0).ids(a);
                int[] y = ids((PreparedCorpus) prepared, s, b);
                assertEquals(x.size(), y.length, s.name());
                for (int t = 0; t < y.length; t++) {
                    assertEquals(x.target(t), y[t], s + " " + t);
                }
            }
        }
        assertTrue(Corpora.open(dir.toString(), tmp.resolve("cache"), status::add) instanceof
                io.spherical.training.data.LineCorpus, "small corpora are read directly by default");
    }

    @Test
    void chunksAreViewsOfOneStreamAndTheirFirstContextsReadTheIdsBeforeThem(@TempDir Path tmp) throws IOException {
        books(tmp.resolve("books"), 30, false);
        PreparedCorpus c = open(tmp.resolve("books"), tmp.resolve("cache"));
        Vocabulary v = c.vocabulary(1, 20);
        int[] whole = ids(c, Split.TRAIN, v);
        System.setProperty("spherical.prepared.chunk", "997");
        try {
            List<Corpus.Chunk> chunks = c.chunks(Split.TRAIN);
            assertEquals((whole.length + 996) / 997, chunks.size());
            int pos = 0;
            int[] ctx = new int[5];
            for (Corpus.Chunk ch : chunks) {
                IdStream st = ch.ids(v);
                assertEquals(st.size(), ch.size());
                for (int t = 0; t < st.size(); t++, pos++) {
                    assertEquals(whole[pos], st.target(t), "id " + pos);
                    st.context(t, 5, ctx, 0);
                    for (int k = 0; k < 5; k++) {
                        int p = pos - 5 + k;
                        assertEquals(p >= 0 ? whole[p] : 0, ctx[k], "context " + k + " of id " + pos);
                    }
                }
            }
            assertEquals(whole.length, pos);
        } finally {
            System.clearProperty("spherical.prepared.chunk");
        }
    }
}
