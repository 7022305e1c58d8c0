package io.spherical.training.data.prepared;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spherical.models.lm.Vocabulary;
import io.spherical.training.data.Split;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The second pass of {@link Preparer}: the final ids (by decreasing training count, ties alphabetical; word forms
 * never seen in training are {@code <unk>}), then each split's documents in the order of their identities, their
 * provisional ids read back from the workers' files and written as final ids.
 */
final class SecondPass {
    private final List<FirstPass> workers;
    private final String[] words;
    private final long[] counts;
    private final int[] finalId;
    private final int[] order;          // provisional ids of the training vocabulary, in final-id order

    SecondPass(List<FirstPass> workers, Map<String, Integer> dictionary, int n) {
        this.workers = workers;
        words = new String[n];
        dictionary.forEach((w, i) -> words[i] = w);
        counts = new long[n];
        for (FirstPass w : workers) {
            long[] c = w.counts();
            for (int i = 0; i < Math.min(c.length, n); i++) {
                counts[i] += c[i];
            }
        }
        order = IntStream.range(2, n).filter(i -> counts[i] > 0).boxed()
                .sorted(Comparator.<Integer>comparingLong(i -> -counts[i]).thenComparing(i -> words[i]))
                .mapToInt(Integer::intValue).toArray();
        finalId = new int[n];
        java.util.Arrays.fill(finalId, 1);
        finalId[0] = 0;
        for (int r = 0; r < order.length; r++) {
            finalId[order[r]] = r + 2;
        }
    }

    /** Word forms of the training vocabulary (besides the two special ids). */
    long types() {
        return order.length;
    }

    /** {@code word TAB count} in id order: {@code </s>}, {@code <unk>}, then the training word forms. */
    void writeVocabulary(Path file) throws IOException {
        try (BufferedWriter w = Preparer.writer(file)) {
            w.write(Vocabulary.EOS + "\t" + counts[0] + "\n");
            w.write(Vocabulary.UNK + "\t" + counts[1] + "\n");
            for (int p : order) {
                w.write(words[p]);
                w.write('\t');
                w.write(Long.toString(counts[p]));
                w.write('\n');
            }
        }
    }

    /** Writes one split's ids; returns its statistics. */
    ObjectNode writeSplit(Split split, Path file, ObjectMapper json) throws IOException {
        List<FirstPass.Doc> docs = new ArrayList<>();
        workers.forEach(w -> w.docs().stream().filter(d -> d.split() == split).forEach(docs::add));
        docs.sort(Comparator.comparing(FirstPass.Doc::id));
        BitSet seen = new BitSet(words.length);
        long ids = 0;
        long sentences = 0;
        long unknown = 0;
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer in = ByteBuffer.allocateDirect(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (FirstPass.Doc d : docs) {
                FileChannel src = workers.get(d.worker()).channel();
                long pos = d.offset() * 4;
                long end = pos + d.length() * 4;
                while (pos < end) {                 // positioned reads into one buffer: no mapping per document
                    in.clear();
                    in.limit((int) Math.min(in.capacity(), end - pos));
                    while (in.hasRemaining()) {
                        if (src.read(in, pos + in.position()) < 0) {
                            throw new IOException("the temporary file of worker " + d.worker() + " is shorter than "
                                    + "what was written to it");
                        }
                    }
                    pos += in.limit();
                    in.flip();
                    while (in.hasRemaining()) {
                        int p = in.getInt();
                        int f = finalId[p];
                        seen.set(p);
                        unknown += f == 1 ? 1 : 0;
                        if (!buf.hasRemaining()) {
                            write(out, buf);
                        }
                        buf.putInt(f);
                    }
                }
                ids += d.length();
                sentences += d.sentences();
            }
            write(out, buf);
            out.force(true);
        }
        seen.clear(0);
        ObjectNode s = json.createObjectNode();
        s.put("documents", docs.size());
        s.put("sentences", sentences);
        s.put("tokens", ids - sentences);
        s.put("ids", ids);
        s.put("types", seen.cardinality());
        s.put("unseenInTraining", unknown);
        return s;
    }

    private static void write(FileChannel out, ByteBuffer buf) throws IOException {
        buf.flip();
        while (buf.hasRemaining()) {
            out.write(buf);
        }
        buf.clear();
    }
}
