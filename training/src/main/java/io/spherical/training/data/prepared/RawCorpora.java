package io.spherical.training.data.prepared;

import io.spherical.api.UserException;
import io.spherical.training.data.Corpus;
import io.spherical.training.data.raw.Documents;
import io.spherical.training.data.raw.SplitRule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The {@code --corpus} forms of raw text: {@code books:PATH} and {@code wiki:PATH}, with options after a {@code ?}
 * ({@code books:PATH?case=keep&split=0.9,0.05,0.05}; the defaults are lower case and 0.98,0.01,0.01), and a path
 * without a prefix when it can only be raw text (an archive or a {@code .txt} file; a folder holding WikiExtractor's
 * {@code wiki_*} files, or {@code .txt} books or archives, and no train/valid/test layout). The spec recorded in a
 * run names the options, so that eval and resume reopen the same prepared corpus.
 */
public final class RawCorpora {
    private RawCorpora() {
    }

    /** The raw corpus {@code spec} names, prepared (or found in the cache); null when it names no raw corpus. */
    public static Corpus openIfRaw(String spec, Path cache, Consumer<String> status) {
        String s = spec;
        Documents.Format format = null;
        if (s.startsWith("books:")) {
            format = Documents.Format.BOOKS;
            s = s.substring(6);
        } else if (s.startsWith("wiki:")) {
            format = Documents.Format.WIKI;
            s = s.substring(5);
        }
        String query = "";
        int q = s.lastIndexOf('?');
        if (q >= 0 && (format != null || s.substring(q).contains("="))) {
            query = s.substring(q + 1);
            s = s.substring(0, q);
        }
        Path root = Path.of(s);
        if (format == null) {
            format = detect(root);
            if (format == null) {
                if (!query.isEmpty()) {
                    throw new UserException("--case and --split (or '?" + query + "') apply to raw text (books:PATH, "
                            + "wiki:PATH), and " + s + " is not raw text. Fix: leave them out for this corpus.");
                }
                return null;
            }
        }
        boolean keepCase = false;
        SplitRule split = SplitRule.DEFAULT;
        for (String kv : query.isEmpty() ? new String[0] : query.split("&")) {
            String[] p = kv.split("=", 2);
            switch (p[0]) {
                case "case" -> keepCase = caseOption(p.length > 1 ? p[1] : "");
                case "split" -> split = SplitRule.parse(p.length > 1 ? p[1] : "");
                default -> throw new UserException("Unknown corpus option '" + p[0] + "' in " + spec + ". Fix: use case="
                        + "lower|keep and split=TRAIN,VALID,TEST after '?'.");
            }
        }
        Path abs = root.toAbsolutePath().normalize();
        String canonical = (format == Documents.Format.WIKI ? "wiki:" : "books:") + abs
                + options(keepCase, split);
        return Preparer.open(abs, new Preparer.Options(format, keepCase, split), canonical, cache, status);
    }

    /**
     * The spec a run records for {@code spec} when it names raw text (prefix, absolute path, options), without
     * preparing anything; {@code spec} itself otherwise. Resume compares specs in this form.
     */
    public static String canonical(String spec) {
        String s = spec;
        String prefix = s.startsWith("books:") ? "books:" : s.startsWith("wiki:") ? "wiki:" : null;
        if (prefix != null) {
            s = s.substring(prefix.length());
        }
        String query = "";
        int q = s.lastIndexOf('?');
        if (q >= 0 && (prefix != null || s.substring(q).contains("="))) {
            query = s.substring(q);
            s = s.substring(0, q);
        }
        Path root = Path.of(s);
        if (prefix == null) {
            Documents.Format f = detect(root);
            if (f == null) {
                return spec;
            }
            prefix = f == Documents.Format.WIKI ? "wiki:" : "books:";
        }
        boolean keep = query.contains("case=keep");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("split=([^&]*)").matcher(query);
        SplitRule split = m.find() ? SplitRule.parse(m.group(1)) : SplitRule.DEFAULT;
        return prefix + root.toAbsolutePath().normalize() + options(keep, split);
    }

    /** The {@code ?...} suffix for non-default options (empty for the defaults). */
    public static String options(boolean keepCase, SplitRule split) {
        StringBuilder b = new StringBuilder();
        if (keepCase) {
            b.append("case=keep");
        }
        if (!split.equals(SplitRule.DEFAULT)) {
            b.append(b.length() > 0 ? "&" : "").append("split=").append(split.label());
        }
        return b.length() == 0 ? "" : "?" + b;
    }

    /** {@code --case}: lower (the default) or keep. */
    public static boolean caseOption(String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "keep" -> true;
            case "lower" -> false;
            default -> throw new UserException("--case must be lower or keep, got '" + v + "'. Fix: --case keep to keep "
                    + "the case of raw text, or leave it out (lower case).");
        };
    }

    /** BOOKS or WIKI when {@code root} can only be raw text, else null (a line-per-sentence or Brown folder, or nothing). */
    static Documents.Format detect(Path root) {
        String n = root.getFileName() == null ? "" : root.getFileName().toString().toLowerCase(Locale.ROOT);
        if (Files.isRegularFile(root)) {
            return n.startsWith("wiki_") ? Documents.Format.WIKI
                    : n.endsWith(".txt") || n.endsWith(".tar") || n.endsWith(".tar.gz") || n.endsWith(".tgz")
                    || n.endsWith(".tar.xz") || n.endsWith(".zip") ? Documents.Format.BOOKS : null;
        }
        if (!Files.isDirectory(root) || Files.isRegularFile(root.resolve("ca01")) || hasSplitFiles(root)) {
            return null;
        }
        try (Stream<Path> s = Files.walk(root, 3)) {
            boolean wiki = false;
            boolean books = false;
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String f = p.getFileName().toString().toLowerCase(Locale.ROOT);
                wiki |= f.startsWith("wiki_");
                books |= f.endsWith(".txt") || f.endsWith(".tar") || f.endsWith(".tar.gz") || f.endsWith(".tgz")
                        || f.endsWith(".tar.xz") || f.endsWith(".zip");
            }
            return wiki ? Documents.Format.WIKI : books ? Documents.Format.BOOKS : null;
        } catch (IOException | java.io.UncheckedIOException e) {
            return null;                // unreadable: the layouts' own checks name the problem
        }
    }

    private static boolean hasSplitFiles(Path dir) {
        for (String t : new String[] {"train.txt", "ptb.train.txt", "wiki.train.tokens", "train"}) {
            if (Files.isRegularFile(dir.resolve(t))) {
                return true;
            }
        }
        return false;
    }
}
