package io.spherical.training.data.prepared;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.spherical.models.lm.Vocabulary;
import io.spherical.training.data.Corpus;
import io.spherical.training.data.IdStream;
import io.spherical.training.data.Split;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A corpus prepared by {@link Preparer}: its full training vocabulary and the ids of each split, memory-mapped (the
 * text is not read again and no split is copied onto the heap). A split is served as chunks of at most
 * {@link #chunkIds()} ids, each mapped when it is read, with the {@link #OVERLAP} ids before it (so that the contexts
 * of its first examples read the words before them, as in one stream). A run's vocabulary ({@link #vocabulary}) is a
 * prefix of the full one, so its ids are the file's with every id past it read as {@code <unk>}.
 */
public final class PreparedCorpus implements Corpus {
    /** The manifest's format name. */
    static final String FORMAT = "spherical-prepared";
    static final String MANIFEST = "manifest.json";
    static final String VOCAB = "vocab.tsv";
    /** Ids mapped before a chunk for the contexts of its first examples (contexts up to this long cross chunks). */
    static final int OVERLAP = 256;

    private final Path dir;
    private final String spec;
    private final JsonNode manifest;
    private final List<String> words;
    private final long[] counts;
    private final Map<Split, Long> ids = new EnumMap<>(Split.class);

    private PreparedCorpus(Path dir, String spec, JsonNode manifest, List<String> words, long[] counts) {
        this.dir = dir;
        this.spec = spec;
        this.manifest = manifest;
        this.words = words;
        this.counts = counts;
    }

    /** The ids file of a split. */
    static String idsFile(Split s) {
        return s.name().toLowerCase(Locale.ROOT) + ".ids";
    }

    /** The entry in {@code dir} when it is complete and consistent (manifest, vocabulary, ids of the sizes it says), else null. */
    static PreparedCorpus openIfComplete(Path dir, String spec) {
        Path m = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(m)) {
            return null;
        }
        try {
            JsonNode manifest = new ObjectMapper().readTree(m.toFile());
            if (manifest == null || !FORMAT.equals(manifest.path("format").asText())) {
                return null;
            }
            List<String> w = new ArrayList<>();
            List<Long> c = new ArrayList<>();
            try (BufferedReader r = Files.newBufferedReader(dir.resolve(VOCAB), StandardCharsets.UTF_8)) {
                for (String line = r.readLine(); line != null; line = r.readLine()) {
                    int tab = line.lastIndexOf('\t');
                    w.add(line.substring(0, tab));
                    c.add(Long.parseLong(line.substring(tab + 1)));
                }
            }
            if (w.size() != manifest.path("types").asLong() + 2) {
                return null;
            }
            PreparedCorpus p = new PreparedCorpus(dir, spec, manifest, w, c.stream().mapToLong(Long::longValue).toArray());
            for (Split s : Split.values()) {
                long n = manifest.path("splits").path(s.name().toLowerCase(Locale.ROOT)).path("ids").asLong(-1);
                Path f = dir.resolve(idsFile(s));
                if (n < 0 || !Files.isRegularFile(f) || Files.size(f) != n * 4) {
                    return null;
                }
                p.ids.put(s, n);
            }
            return p;
        } catch (IOException | NumberFormatException | StringIndexOutOfBoundsException e) {
            return null;        // damaged (unreadable or truncated files): prepared afresh
        }
    }

    /**
     * Ids per chunk, the unit of shuffling (one permutation of this size at a time): 4,194,304 (16 MiB of ids), or
     * the system property {@code spherical.prepared.chunk} (tests use small chunks to cross their boundaries).
     */
    public static int chunkIds() {
        return Integer.getInteger("spherical.prepared.chunk", 1 << 22);
    }

    /** {@code count} ids of a split's file from {@code from}, with up to {@link #OVERLAP} before them: (buffer, start). */
    private IdWindow window(Split split, long from, int count) {
        long start = Math.max(0, from - OVERLAP);
        try (FileChannel ch = FileChannel.open(dir.resolve(idsFile(split)), StandardOpenOption.READ)) {
            IntBuffer b = ch.map(FileChannel.MapMode.READ_ONLY, start * 4, (from - start + count) * 4)
                    .order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
            return new IdWindow(b, (int) (from - start));
        } catch (IOException e) {
            throw new io.spherical.api.UserException("Cannot read the prepared corpus file " + dir.resolve(idsFile(split))
                    + ": " + e.getMessage() + ". Fix: delete " + dir + " and run again to prepare it afresh.", e);
        }
    }

    /** A mapped window of ids and the offset of the chunk's first id in it. */
    private record IdWindow(IntBuffer ids, int first) {
    }

    /** Forces every file of {@code dir} and the folder itself to disk. */
    static void force(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.toList()) {
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                    ch.force(true);
                }
            }
        }
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException ignored) {
            // some file systems cannot force a folder
        }
    }

    /** What the preparation recorded: options, sources, statistics per split, skipped files. */
    public JsonNode manifest() {
        return manifest;
    }

    /** The cache folder. */
    public Path directory() {
        return dir;
    }

    /**
     * The run's vocabulary: {@code </s>}, {@code <unk>}, then the most frequent training word forms with at least
     * {@code minCount} occurrences, at most {@code vocabSize} of them (0: no limit); ties broken alphabetically.
     */
    public Vocabulary vocabulary(int minCount, int vocabSize) {
        int keep = 0;
        while (keep + 2 < words.size() && counts[keep + 2] >= minCount && (vocabSize <= 0 || keep < vocabSize)) {
            keep++;
        }
        long[] c = new long[keep + 2];
        System.arraycopy(counts, 0, c, 0, keep + 2);
        for (int i = keep + 2; i < counts.length; i++) {
            c[1] += counts[i];
        }
        return new Vocabulary(words.subList(0, keep + 2), c);
    }

    /** The fraction of a split's tokens (sentence ends excluded) outside {@code vocab}. */
    public double oovRate(Split split, Vocabulary vocab) {
        long tokens = 0;
        long oov = 0;
        long n = ids.get(split);
        for (long from = 0; from < n; from += chunkIds()) {
            IdWindow w = window(split, from, (int) Math.min(chunkIds(), n - from));
            for (int i = w.first(); i < w.ids().limit(); i++) {
                int id = w.ids().get(i);
                if (id != 0) {
                    tokens++;
                    oov += id == 1 || id >= vocab.size() ? 1 : 0;
                }
            }
        }
        return tokens == 0 ? Double.NaN : (double) oov / tokens;
    }

    @Override
    public String describe() {
        return manifest.path("corpus").asText() + " (prepared in " + dir + ")";
    }

    @Override
    public String spec() {
        return spec;
    }

    @Override
    public List<Chunk> chunks(Split split) {
        long n = ids.get(split);
        int size = chunkIds();
        List<Chunk> out = new ArrayList<>();
        for (long start = 0; start < n; start += size) {
            long from = start;
            int len = (int) Math.min(size, n - start);
            out.add(new Chunk() {
                @Override
                public String name() {
                    return dir.resolve(idsFile(split)) + "[" + from + "..+" + len + "]";
                }

                @Override
                public long size() {
                    return len;
                }

                @Override
                public List<String[]> sentences() {
                    IdWindow w = window(split, from, len);
                    List<String[]> s = new ArrayList<>();
                    List<String> cur = new ArrayList<>();
                    for (int i = w.first(); i < w.ids().limit(); i++) {
                        int id = w.ids().get(i);
                        if (id == 0) {
                            s.add(cur.toArray(String[]::new));
                            cur.clear();
                        } else {
                            cur.add(words.get(id));
                        }
                    }
                    return s;
                }

                @Override
                public IdStream ids(Vocabulary vocab) {
                    IdWindow w = window(split, from, len);
                    if (isPrefix(vocab)) {
                        return IdStream.of(w.ids(), w.first(), len, vocab.size());
                    }
                    int[] r = new int[len];         // another vocabulary (a checkpoint's): word by word
                    for (int i = 0; i < len; i++) {
                        int id = w.ids().get(w.first() + i);
                        r[i] = id == 0 ? 0 : vocab.id(words.get(id));
                    }
                    return IdStream.of(IntBuffer.wrap(r), 0, len, Integer.MAX_VALUE);
                }
            });
        }
        return out;
    }

    private Vocabulary checked;

    /** Whether {@code v} is a prefix of the full vocabulary (then the file's ids are its ids). */
    private synchronized boolean isPrefix(Vocabulary v) {
        if (v == checked) {
            return true;
        }
        if (v.size() > words.size()) {
            return false;
        }
        for (int i = 0; i < v.size(); i++) {
            if (!v.word(i).equals(words.get(i))) {
                return false;
            }
        }
        checked = v;
        return true;
    }
}
