package io.spherical.training;

import io.spherical.training.checkpoint.Checkpoint;
import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Tensor;
import io.spherical.api.UserException;
import io.spherical.training.data.LineCorpus;
import io.spherical.training.data.Split;
import io.spherical.training.data.TextFiles;
import io.spherical.models.lm.Vocabulary;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random and mutated bytes fed to the corpus readers and the checkpoint reader: the documented user-error type
 * ({@link UserException}) is the only thing that may escape. Bounded tries, fixed seeds.
 */
class FuzzPropertiesTest {
    private static Path dir;
    private static byte[] goodCheckpoint;
    private static Backend backend;

    @BeforeContainer
    static void setUp() throws IOException {
        dir = Files.createTempDirectory("fuzz");
        backend = BackendDiscovery.discover().create("nd4j");
        Vocabulary v = new Vocabulary(List.of(Vocabulary.EOS, Vocabulary.UNK, "x"), new long[] {1, 1, 1});
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        arrays.put("a", backend.fromHost(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        arrays.put("b", backend.fromHost(new float[] {7, 8}, 1, 2));
        Path ok = dir.resolve("good.zip");
        Checkpoint.write(ok, Checkpoint.JSON.createObjectNode().put("k", 1), v, arrays, backend);
        goodCheckpoint = Files.readAllBytes(ok);
    }

    @AfterContainer
    static void tearDown() {
        backend.close();
    }

    @Provide
    Arbitrary<byte[]> corpusBytes() {
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(4000);
        Arbitrary<byte[]> texty = Arbitraries.strings().withCharRange((char) 0, (char) 0x2FF).ofMaxLength(2000)
                .map(s -> s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return Arbitraries.oneOf(random, texty);
    }

    @Property(tries = 150, seed = "20161")
    void corpusReadersOnlyThrowUserErrors(@ForAll("corpusBytes") byte[] bytes) throws IOException {
        Path c = Files.createTempDirectory(dir, "c");
        Files.write(c.resolve("train.txt"), bytes);
        Files.write(c.resolve("valid.txt"), bytes);
        Files.write(c.resolve("test.txt"), bytes);
        try {
            LineCorpus corpus = new LineCorpus(c);
            CorpusVocabulary.of(corpus, 1);
            corpus.chunks(Split.TEST).get(0).sentences();
            TextFiles.sentences(c.resolve("valid.txt"), TextFiles::whitespace);
        } catch (UserException expected) {
            // the documented failure
        }
    }

    @Provide
    Arbitrary<byte[]> damagedCheckpoints() {
        Arbitrary<byte[]> flipped = Arbitraries.integers().between(0, goodCheckpoint.length - 1).list().ofMinSize(1)
                .ofMaxSize(8).map(positions -> {
                    byte[] b = goodCheckpoint.clone();
                    positions.forEach(p -> b[p] ^= (byte) (1 + p % 255));
                    return b;
                });
        Arbitrary<byte[]> truncated = Arbitraries.integers().between(0, goodCheckpoint.length - 1)
                .map(n -> java.util.Arrays.copyOf(goodCheckpoint, n));
        return Arbitraries.oneOf(flipped, truncated, Arbitraries.bytes().array(byte[].class).ofMaxSize(2000));
    }

    @Property(tries = 150, seed = "20162")
    void checkpointReaderOnlyThrowsUserErrors(@ForAll("damagedCheckpoints") byte[] bytes) throws IOException {
        Path f = Files.createTempFile(dir, "ckpt", ".zip");
        Files.write(f, bytes);
        try (Tensor a = backend.zeros(2, 3); Tensor b = backend.zeros(1, 2)) {
            Checkpoint c = Checkpoint.read(f);
            c.restore(Map.of("a", a, "b", b), backend);
        } catch (UserException expected) {
            // the documented failure
        }
    }
}
