package io.spherical.training.data.prepared;

import io.spherical.models.lm.Vocabulary;
import io.spherical.training.data.Split;
import io.spherical.training.data.raw.Documents;
import io.spherical.training.data.raw.RawText;
import io.spherical.training.data.raw.SplitRule;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * One worker of the first pass of {@link Preparer}: tokenises documents, gives every word form a provisional id from
 * the dictionary all workers share, appends each document's ids (0 after every sentence) to its own temporary file,
 * and counts the training split's words. Single-threaded; one per worker thread.
 */
final class FirstPass implements Documents.Sink, AutoCloseable {
    /** Where one document's ids lie in a worker's temporary file. */
    record Doc(String id, Split split, int worker, long offset, long length, int sentences) {
    }

    private final int worker;
    private final SplitRule rule;
    private final RawText text;
    private final Map<String, Integer> dictionary;
    private final Function<String, Integer> newId;
    private final FileChannel out;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
    private final List<Doc> docs = new ArrayList<>();
    private final Map<String, Long> skipped = new TreeMap<>();
    private long length;
    private int sentences;
    private long[] counts = new long[1 << 16];
    private long written;
    private Split split;

    FirstPass(int worker, Path tmp, SplitRule rule, boolean keepCase, ConcurrentHashMap<String, Integer> dictionary,
              AtomicInteger next) throws IOException {
        this.worker = worker;
        this.rule = rule;
        this.text = new RawText(keepCase);
        this.dictionary = dictionary;
        this.newId = w -> next.getAndIncrement();
        this.out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.READ);
    }

    @Override
    public void document(Documents.Document d) {
        split = rule.of(d.id());
        length = 0;
        sentences = 0;
        text.sentences(d.text(), this::sentence);
        if (sentences == 0) {
            skipped("empty");
            return;
        }
        keep(d.id());
    }

    /** A pre-tokenised file (one sentence per line, white space between tokens) as one document of {@code split}. */
    void file(String id, Split fixed, Path file) {
        split = fixed;
        length = 0;
        sentences = 0;
        io.spherical.training.data.TextFiles.forEachSentence(file, io.spherical.training.data.TextFiles::whitespace,
                s -> sentence(Arrays.asList(s)));
        if (sentences == 0) {
            skipped("empty");
            return;
        }
        keep(id);
    }

    /** Records where the document just read lies in the temporary file (its ids were streamed there as read). */
    private void keep(String id) {
        docs.add(new Doc(id, split, worker, written, length, sentences));
        written += length;
    }

    private void sentence(List<String> tokens) {
        for (String w : tokens) {
            // literal <unk> and </s> (pre-tokenised corpora such as PTB write them) read as those ids, as when the
            // text is read directly (Vocabulary.id); a literal </s> is not counted as a sentence end
            if (w.equals(Vocabulary.EOS)) {
                put(0);
                length++;
            } else {
                add(w.equals(Vocabulary.UNK) ? 1 : dictionary.computeIfAbsent(w, newId));
            }
        }
        add(0);
        sentences++;
    }

    /** Streams one id of the current document to the temporary file (a document is never held whole). */
    private void put(int id) {
        if (!buf.hasRemaining()) {
            try {
                flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        buf.putInt(id);
    }

    private void add(int id) {
        put(id);
        length++;
        if (split == Split.TRAIN) {
            if (id >= counts.length) {
                counts = Arrays.copyOf(counts, Math.max(counts.length * 2, id + 1));
            }
            counts[id]++;
        }
    }

    @Override
    public void skipped(String name, String reason) {
        skipped(reason);
    }

    private void skipped(String reason) {
        skipped.merge(reason, 1L, Long::sum);
    }

    private void flush() throws IOException {
        buf.flip();
        while (buf.hasRemaining()) {
            out.write(buf);
        }
        buf.clear();
    }

    /** Writes what is buffered; the file then holds every document's ids. */
    void finish() throws IOException {
        flush();
        out.force(false);
    }

    /** The temporary file's channel (read by the second pass). */
    FileChannel channel() {
        return out;
    }

    List<Doc> docs() {
        return docs;
    }

    /** Training counts by provisional id (0: sentence ends). */
    long[] counts() {
        return counts;
    }

    Map<String, Long> skippedCounts() {
        return skipped;
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
