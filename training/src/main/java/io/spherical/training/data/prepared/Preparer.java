package io.spherical.training.data.prepared;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spherical.api.UserException;
import io.spherical.training.data.Split;
import io.spherical.training.data.raw.Documents;
import io.spherical.training.data.raw.SplitRule;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Prepares a raw-text corpus once: reads every document (in parallel, one source file per task), tokenises it
 * ({@link io.spherical.training.data.raw.RawText}), assigns it to a split by its identity ({@link SplitRule}), and
 * writes to the cache the full training vocabulary (every word form with its count, by decreasing count, ties
 * alphabetical) and the ids of each split as a flat little-endian int32 file ({@link PreparedCorpus} maps them).
 * Any vocabulary rule ({@code --vocab-size}, {@code --min-count}) keeps a prefix of that order, so one preparation
 * serves them all.
 *
 * <p>The cache entry's name is a SHA-256 of everything that changes its content: the tokeniser's version, the format,
 * the case and split options, and every source file's path, size and modification time. It is written into a
 * temporary folder, its files forced to disk, and renamed into place last: a killed run or a full disk leaves no
 * entry that could be used.
 */
public final class Preparer {
    /** The version of the tokenisation rules and file layout; part of every cache key. */
    static final String VERSION = "spherical-prepared-1";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What a raw corpus is and how it is read ({@code format} and {@code split} null for pre-tokenised files). */
    public record Options(Documents.Format format, boolean keepCase, SplitRule split) {
    }

    /** One unit of the first pass, read by one worker: a source file; {@code split} fixed, or null (by document). */
    private record Task(Path file, String relative, Split split) {
    }

    private Preparer() {
    }

    /** The prepared form of the corpus at {@code root}: from the cache when current, else prepared now. */
    public static PreparedCorpus open(Path root, Options o, String spec, Path cache, Consumer<String> status) {
        List<Path> sources = Documents.sources(root, o.format());
        if (sources.isEmpty()) {
            throw new UserException("No " + (o.format() == Documents.Format.WIKI ? "wiki_* files" : ".txt files or archives")
                    + " under " + root + ". Fix: point --corpus at a folder of books (.txt, .tar, .tar.gz, .tar.xz, .zip)"
                    + " or of WikiExtractor output (wiki:PATH).");
        }
        return prepared(root, sources.stream().map(p -> new Task(p, relative(root, p), null)).toList(), o, spec, cache,
                status);
    }

    /**
     * The prepared form of a pre-tokenised corpus (one sentence per line, white space between tokens, case kept) whose
     * files each belong to one split: the line-per-sentence layouts and One Billion Word.
     */
    public static PreparedCorpus openFiles(Path root, Map<Split, List<Path>> files, String spec, Path cache,
                                           Consumer<String> status) {
        List<Task> tasks = new ArrayList<>();
        files.forEach((split, list) -> list.forEach(f -> tasks.add(new Task(f, relative(root, f), split))));
        return prepared(root, tasks, new Options(null, true, null), spec, cache, status);
    }

    private static String relative(Path root, Path f) {
        String r = root.relativize(f).toString();
        return r.isEmpty() ? f.getFileName().toString() : r;
    }

    private static PreparedCorpus prepared(Path root, List<Task> sources, Options o, String spec, Path cache,
                                           Consumer<String> status) {
        Path dir = cache.resolve("prepared").resolve(key(root, sources, o));
        PreparedCorpus ready = PreparedCorpus.openIfComplete(dir, spec);
        if (ready != null) {
            return ready;
        }
        try {
            Files.createDirectories(dir.getParent());
            deleteTree(dir);                            // an incomplete or damaged entry: never used, replaced
            Path tmp = Files.createTempDirectory(dir.getParent(), ".tmp-");
            try {
                status.accept("Preparing " + spec + " (" + sources.size() + " source files) into " + dir + " ...");
                prepare(root, sources, o, spec, tmp, status);
                try {
                    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                } catch (IOException e) {
                    if (PreparedCorpus.openIfComplete(dir, spec) == null) {   // not another process's finished entry
                        throw e;
                    }
                }
            } finally {
                deleteTree(tmp);
            }
        } catch (IOException | UncheckedIOException e) {
            throw new UserException("Cannot prepare the corpus under " + dir.getParent() + " (" + e.getMessage()
                    + "). Fix: free disk space, set SPHERICAL_CACHE (or --cache) to a writable folder, or check that the "
                    + "corpus files are readable and not changing.", e);
        }
        PreparedCorpus p = PreparedCorpus.openIfComplete(dir, spec);
        if (p == null) {
            throw new UserException("The prepared corpus in " + dir + " is unreadable right after preparation. Fix: "
                    + "delete it and run again.");
        }
        return p;
    }

    /** The cache entry's name: the corpus folder's name and a SHA-256 of everything that changes the content. */
    private static String key(Path root, List<Task> sources, Options o) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            StringBuilder s = new StringBuilder(VERSION).append('\n').append(o.format()).append('\n')
                    .append(o.keepCase()).append('\n').append(o.split() == null ? "by file" : o.split().label())
                    .append('\n').append(root.toAbsolutePath().normalize()).append('\n');
            for (Task t : sources) {
                s.append(t.relative()).append('\t').append(t.split()).append('\t').append(Files.size(t.file()))
                        .append('\t').append(Files.getLastModifiedTime(t.file()).toMillis()).append('\n');
            }
            String hex = HexFormat.of().formatHex(md.digest(s.toString().getBytes(StandardCharsets.UTF_8)));
            String name = root.getFileName() == null ? "corpus" : root.getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_");
            return name + "-" + hex.substring(0, 16);
        } catch (IOException e) {
            throw new UserException("Cannot read the corpus files under " + root + ": " + e.getMessage()
                    + ". Fix: check that they are readable.", e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void prepare(Path root, List<Task> sources, Options o, String spec, Path tmp, Consumer<String> status)
            throws IOException {
        long t0 = System.nanoTime();
        int threads = Math.max(1, Math.min(Runtime.getRuntime().availableProcessors(), sources.size()));
        ConcurrentHashMap<String, Integer> dict = new ConcurrentHashMap<>(1 << 20);
        AtomicInteger next = new AtomicInteger(2);              // 0: </s>, 1: <unk>
        List<FirstPass> workers = new ArrayList<>();
        try {
            for (int w = 0; w < threads; w++) {
                workers.add(new FirstPass(w, tmp.resolve("pass1-" + w + ".bin"), o.split(), o.keepCase(), dict, next));
            }
            List<Task> bySize = new ArrayList<>(sources);
            bySize.sort((a, b) -> Long.compare(size(b.file()), size(a.file())));   // largest first: they end together
            AtomicInteger taken = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                List<Future<?>> fs = new ArrayList<>();
                for (FirstPass w : workers) {
                    fs.add(pool.submit(() -> {
                        for (int i = taken.getAndIncrement(); i < bySize.size(); i = taken.getAndIncrement()) {
                            Task t = bySize.get(i);
                            if (t.split() == null) {
                                Documents.read(t.file(), t.relative(), o.format(), w);
                            } else {
                                w.file(t.relative(), t.split(), t.file());
                            }
                            int n = done.incrementAndGet();
                            if (n % Math.max(1, bySize.size() / 20) == 0 || n == bySize.size()) {
                                synchronized (status) {          // the workers report one at a time
                                    status.accept(String.format("  read %d of %d source files, %,d word forms, %.0f s",
                                            n, bySize.size(), dict.size(), (System.nanoTime() - t0) / 1e9));
                                }
                            }
                        }
                        w.finish();
                        return null;
                    }));
                }
                for (Future<?> f : fs) {
                    f.get();
                }
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof UncheckedIOException u) {
                    throw u.getCause();                 // a full disk, a vanished file: one line, exit 2 (below)
                }
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                if (e.getCause() instanceof Error err) {
                    throw err;
                }
                throw new IOException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            } finally {
                pool.shutdownNow();
            }
            SecondPass second = new SecondPass(workers, dict, next.get());
            long documents = workers.stream().mapToLong(w -> w.docs().size()).sum();
            if (documents < 3 && o.split() != null) {
                throw new UserException("The corpus " + spec + " has " + documents + " readable document(s); it needs at "
                        + "least 3 (one per split). Fix: add documents, or use a line-per-sentence corpus directory.");
            }
            ObjectNode splits = JSON.createObjectNode();
            for (Split s : Split.values()) {
                splits.set(s.name().toLowerCase(), second.writeSplit(s, tmp.resolve(PreparedCorpus.idsFile(s)), JSON));
                if (splits.get(s.name().toLowerCase()).get("documents").asLong() == 0) {
                    throw new UserException("The " + s.name().toLowerCase() + " split of " + spec + " got no document (" + documents
                            + " documents, --split " + (o.split() == null ? "by file" : o.split().label()) + "; each document goes to the split its identity's hash"
                            + " names). Fix: add documents, or give the splits larger fractions (--split 0.8,0.1,0.1).");
                }
            }
            second.writeVocabulary(tmp.resolve(PreparedCorpus.VOCAB));
            Map<String, Long> skipped = new TreeMap<>();
            workers.forEach(w -> w.skippedCounts().forEach((k, v) -> skipped.merge(k, v, Long::sum)));
            ObjectNode m = JSON.createObjectNode();
            m.put("format", PreparedCorpus.FORMAT);
            m.put("tokeniser", VERSION);
            m.put("corpus", spec);
            m.put("case", o.keepCase() ? "keep" : "lower");
            m.put("split", o.split() == null ? "by file" : o.split().label());
            ArrayNode src = m.putArray("sources");
            for (Task t : sources) {
                src.addObject().put("path", t.relative()).put("bytes", size(t.file()));
            }
            m.set("splits", splits);
            m.set("skipped", JSON.valueToTree(skipped));
            m.put("types", second.types());
            m.put("seconds", Math.round((System.nanoTime() - t0) / 1e8) / 10.0);
            for (FirstPass w : workers) {
                w.close();
            }
            for (int w = 0; w < threads; w++) {
                Files.deleteIfExists(tmp.resolve("pass1-" + w + ".bin"));
            }
            byte[] manifest = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(m);
            Files.write(tmp.resolve(PreparedCorpus.MANIFEST), manifest);   // last: its presence marks a whole entry
            PreparedCorpus.force(tmp);
        } finally {
            for (FirstPass w : workers) {
                w.close();
            }
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Writes text lines (the vocabulary). */
    static BufferedWriter writer(Path f) throws IOException {
        return Files.newBufferedWriter(f, StandardCharsets.UTF_8);
    }
}
