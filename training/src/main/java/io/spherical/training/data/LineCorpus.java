package io.spherical.training.data;

import io.spherical.api.UserException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * One sentence per line, tokens separated by white space, case kept, in a directory holding the three splits under
 * their usual names: {@code train.txt valid.txt test.txt}, PTB's {@code ptb.train.txt ptb.valid.txt ptb.test.txt},
 * WikiText's {@code wiki.train.tokens wiki.valid.tokens wiki.test.tokens}, or {@code train valid test}.
 */
public final class LineCorpus implements Corpus {
    private static final String[][] NAMES = {
        {"train.txt", "valid.txt", "test.txt"},
        {"ptb.train.txt", "ptb.valid.txt", "ptb.test.txt"},
        {"wiki.train.tokens", "wiki.valid.tokens", "wiki.test.tokens"},
        {"train", "valid", "test"},
        {"train.txt", "dev.txt", "test.txt"},
    };

    private final Path dir;
    private final Map<Split, Path> files = new EnumMap<>(Split.class);

    /**
     * The corpus in {@code dir}.
     *
     * @throws UserException when the directory is missing or holds no recognised set of split files
     */
    public LineCorpus(Path dir) {
        this.dir = dir;
        if (!Files.isDirectory(dir)) {
            throw new UserException("Corpus directory " + dir + " does not exist. Fix: pass an existing directory"
                    + " with train/valid/test files, 'brown', or 1bw:DIR.");
        }
        for (String[] set : NAMES) {
            if (Files.isRegularFile(dir.resolve(set[0])) && Files.isRegularFile(dir.resolve(set[1]))
                    && Files.isRegularFile(dir.resolve(set[2]))) {
                for (Split s : Split.values()) {
                    files.put(s, dir.resolve(set[s.ordinal()]));
                }
                return;
            }
        }
        throw new UserException("Corpus directory " + dir + " has no train/valid/test files. Fix: name them "
                + "train.txt valid.txt test.txt (or ptb.*.txt, wiki.*.tokens), one sentence per line.");
    }

    /** The file of each split. */
    public Map<Split, List<Path>> files() {
        Map<Split, List<Path>> m = new EnumMap<>(Split.class);
        files.forEach((s, f) -> m.put(s, List.of(f)));
        return m;
    }

    /** The directory. */
    public Path directory() {
        return dir;
    }

    /** The three files' total size in bytes. */
    public long bytes() {
        long n = 0;
        for (Path f : files.values()) {
            try {
                n += Files.size(f);
            } catch (java.io.IOException e) {
                throw new UserException("Cannot read " + f + ": " + e.getMessage() + ". Fix: check permissions.", e);
            }
        }
        return n;
    }

    @Override
    public String spec() {
        return dir.toAbsolutePath().normalize().toString();
    }

    @Override
    public String describe() {
        return "line-per-sentence text (" + dir + ")";
    }

    @Override
    public List<Chunk> chunks(Split split) {
        Path f = files.get(split);
        return List.of(new Chunk() {
            @Override
            public String name() {
                return f.toString();
            }

            @Override
            public List<String[]> sentences() {
                return TextFiles.sentences(f, TextFiles::whitespace);
            }
        });
    }
}
