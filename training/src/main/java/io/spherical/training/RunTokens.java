package io.spherical.training;

import io.spherical.models.lm.Vocabulary;
import io.spherical.training.data.TextFiles;
import io.spherical.training.data.raw.RawText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Tokenisation of a user's text exactly as a run's corpus was read, from the corpus spec the run recorded: Brown's
 * words lower-cased and split at white space; raw text ({@code books:}, {@code wiki:}) by {@link RawText} with the
 * recorded case option, a {@code </s>} between its sentences; line-per-sentence corpora and One Billion Word split at
 * white space with the case kept.
 */
public final class RunTokens {
    private final String kind;
    private final boolean keepCase;

    private RunTokens(String kind, boolean keepCase) {
        this.kind = kind;
        this.keepCase = keepCase;
    }

    /** The tokenisation of the corpus {@code spec} (as run.json records it). */
    public static RunTokens forSpec(String spec) {
        if (spec == null || spec.isBlank() || spec.equals("brown")) {
            return new RunTokens("brown", false);
        }
        if (spec.startsWith("books:") || spec.startsWith("wiki:")) {
            int q = spec.lastIndexOf('?');
            return new RunTokens("raw", q >= 0 && spec.substring(q).contains("case=keep"));
        }
        return new RunTokens("lines", true);
    }

    /** The tokens of {@code text}. */
    public List<String> tokens(String text) {
        if (kind.equals("raw")) {
            List<String> out = new ArrayList<>();
            new RawText(keepCase).sentences(text, s -> {
                if (!out.isEmpty()) {
                    out.add(Vocabulary.EOS);
                }
                out.addAll(s);
            });
            return out;
        }
        String[] t = TextFiles.whitespace(kind.equals("brown") ? text.toLowerCase(Locale.ROOT) : text);
        return t == null ? List.of() : Arrays.asList(t);
    }

    /** The sentences of a whole text (raw text: its sentences; the other kinds: its non-blank lines). */
    public List<String[]> sentences(String text) {
        List<String[]> out = new ArrayList<>();
        if (kind.equals("raw")) {
            new RawText(keepCase).sentences(text, s -> out.add(s.toArray(String[]::new)));
            return out;
        }
        for (String line : text.split("\n")) {
            String[] t = TextFiles.whitespace(kind.equals("brown") ? line.toLowerCase(Locale.ROOT) : line);
            if (t != null) {
                out.add(t);
            }
        }
        return out;
    }

    /** A corpus whose every split is the text of {@code file}, read as this run's corpus was (for eval --file). */
    public io.spherical.training.data.Corpus corpusOf(java.nio.file.Path file) {
        String text;
        try {
            text = java.nio.file.Files.readString(file);
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            throw new io.spherical.api.UserException("Cannot read " + file + " as UTF-8 text (" + e.getMessage()
                    + "). Fix: pass a readable UTF-8 text file to --file.", e);
        }
        List<String[]> sentences = sentences(text);
        if (sentences.isEmpty()) {
            throw new io.spherical.api.UserException("The file " + file + " holds no words. Fix: pass a text file to "
                    + "--file.");
        }
        return new io.spherical.training.data.Corpus() {
            @Override
            public String describe() {
                return file + " (read as the run's corpus was)";
            }

            @Override
            public String spec() {
                return file.toString();
            }

            @Override
            public List<Chunk> chunks(io.spherical.training.data.Split split) {
                return List.of(new Chunk() {
                    @Override
                    public String name() {
                        return file.toString();
                    }

                    @Override
                    public List<String[]> sentences() {
                        return sentences;
                    }
                });
            }
        };
    }
}
