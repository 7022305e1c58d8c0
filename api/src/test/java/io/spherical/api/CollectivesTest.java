package io.spherical.api;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The checks of {@link Collectives#join} before any library is asked (none is on this module's classpath): port 0 is
 * let through for rank 0 with a port file only, so that such a rank 0 gets as far as looking for a library.
 */
class CollectivesTest {
    static final byte[] TOKEN = "a token".getBytes(StandardCharsets.UTF_8);

    @Test
    void portZeroIsForRankZeroWithAPortFileOnly() {
        UserException rank0 = assertThrows(UserException.class, () -> Collectives.join(0, 2,
                new GroupAddress("127.0.0.1", 0, null, TOKEN, Duration.ofSeconds(5), Path.of("rendezvous.port"))));
        assertTrue(rank0.getMessage().startsWith("Training on 2 workers needs a collective library"),
                rank0.getMessage());
        UserException rank1 = assertThrows(UserException.class, () -> Collectives.join(1, 2,
                new GroupAddress("127.0.0.1", 0, null, TOKEN, Duration.ofSeconds(5), Path.of("rendezvous.port"))));
        assertTrue(rank1.getMessage().startsWith("Worker 1 of 2 was given port 0"), rank1.getMessage());
        UserException noFile = assertThrows(UserException.class, () -> Collectives.join(0, 2,
                new GroupAddress("127.0.0.1", 0, null, TOKEN, Duration.ofSeconds(5), null)));
        assertTrue(noFile.getMessage().startsWith("The port of --master"), noFile.getMessage());
        UserException tooBig = assertThrows(UserException.class, () -> Collectives.join(1, 2,
                new GroupAddress("127.0.0.1", 70000, null, TOKEN, Duration.ofSeconds(5), null)));
        assertTrue(tooBig.getMessage().startsWith("The port of --master"), tooBig.getMessage());
    }
}
