package io.spherical.training.data;

import io.spherical.api.UserException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The One Billion Word benchmark layout: training shards
 * {@code training-monolingual.tokenized.shuffled/news.en-000NN-of-00100} and held-out shards
 * {@code heldout-monolingual.tokenized.shuffled/news.en.heldout-000NN-of-00050}. Test is held-out shard 0 (the
 * usual choice), validation shard 1. Each shard is one chunk, read when needed: the corpus is never in memory whole.
 */
public final class OneBillionWordCorpus implements Corpus {
    private final Path root;
    private final List<Path> train;
    private final List<Path> heldout;

    /**
     * The corpus under {@code root}.
     *
     * @throws UserException when the layout is not found
     */
    public OneBillionWordCorpus(Path root) {
        this.root = root;
        this.train = shards(root.resolve("training-monolingual.tokenized.shuffled"), "news\\.en-\\d{5}-of-00100");
        this.heldout = shards(root.resolve("heldout-monolingual.tokenized.shuffled"), "news\\.en\\.heldout-\\d{5}-of-00050");
        if (train.isEmpty() || heldout.size() < 2) {
            throw new UserException("No One Billion Word layout under " + root + " (found " + train.size()
                    + " training and " + heldout.size() + " held-out shards). Fix: point 1bw: at the directory that holds"
                    + " training-monolingual.tokenized.shuffled and heldout-monolingual.tokenized.shuffled.");
        }
    }

    private static List<Path> shards(Path dir, String pattern) {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches(pattern)).sorted().toList();
        } catch (IOException e) {
            throw new UserException("Cannot list " + dir + ": " + e.getMessage() + ". Fix: check permissions.", e);
        }
    }

    /** The shards of each split (validation: held-out shard 1, test: held-out shard 0). */
    public Map<Split, List<Path>> files() {
        Map<Split, List<Path>> m = new java.util.EnumMap<>(Split.class);
        m.put(Split.TRAIN, train);
        m.put(Split.VALID, List.of(heldout.get(1)));
        m.put(Split.TEST, List.of(heldout.get(0)));
        return m;
    }

    /** The directory given as {@code 1bw:DIR}. */
    public Path root() {
        return root;
    }

    @Override
    public String spec() {
        return "1bw:" + root.toAbsolutePath().normalize();
    }

    @Override
    public String describe() {
        return "One Billion Word (" + root + ", " + train.size() + " training shards)";
    }

    @Override
    public List<Chunk> chunks(Split split) {
        List<Path> files = switch (split) {
            case TRAIN -> train;
            case TEST -> List.of(heldout.get(0));
            case VALID -> List.of(heldout.get(1));
        };
        List<Chunk> out = new ArrayList<>();
        for (Path f : files) {
            out.add(new Chunk() {
                @Override
                public String name() {
                    return f.getFileName().toString();
                }

                @Override
                public List<String[]> sentences() {
                    return TextFiles.sentences(f, TextFiles::whitespace);
                }
            });
        }
        return out;
    }
}
