package io.spherical.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Collective;
import io.spherical.api.Collectives;
import io.spherical.api.GroupAddress;
import io.spherical.api.UserException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A failed rendezvous is one line naming the master's address and the fix: the native library's multi-line text is
 * cut to its first line, an unknown host is refused before the native store is created, a group without a token or
 * with a port it cannot use is refused before any library is asked, and a refused token names the fix. None of
 * these needs a peer or the native library.
 */
class RendezvousTest {
    static final byte[] TOKEN = "a token".getBytes(StandardCharsets.UTF_8);

    /** What c10d's TCPStore client throws when nobody listens (PyTorch 2.x; its 30-odd frames cut to six). */
    static final String TIMED_OUT = "The client socket has timed out after 5000ms while trying to connect to "
            + "(127.0.0.1, 1).\n"
            + "Exception raised from throwTimeoutError at /pytorch/torch/csrc/distributed/c10d/socket.cpp:1025 (most "
            + "recent call first):\n"
            + "frame #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x96 (0x7f3c174611b6 in "
            + "/root/.javacpp/cache/pytorch-linux-x86_64.jar/org/bytedeco/pytorch/linux-x86_64/libc10.so)\n"
            + "frame #1: <unknown function> + 0x16144fe (0x7f3c4dd684fe in /root/.javacpp/cache/libtorch_cpu.so)\n"
            + "frame #2: <unknown function> + 0x63501ce (0x7f3c52aa41ce in /root/.javacpp/cache/libtorch_cpu.so)\n"
            + "frame #3: c10d::TCPStore::TCPStore(std::string, c10d::TCPStoreOptions const&) + 0x2a3 (0x7f3c52a61216 "
            + "in /root/.javacpp/cache/libtorch_cpu.so)\n"
            + "frame #4: Java_org_bytedeco_pytorch_TCPStore_allocate + 0x1c1 (0x7f3c60a1b2c1 in "
            + "/root/.javacpp/cache/libjnitorch.so)\n"
            + "frame #5: [0x7f3c8c5b3a3a]\n";

    /** What rank 0 gets when the port is taken. */
    static final String IN_USE = "\nThe server socket has failed to listen on any local network address. port: 29500,"
            + " useIpv6: 0, code: -98, name: EADDRINUSE, message: address already in use\n"
            + "Exception raised from makeWithPort at /pytorch/torch/csrc/distributed/c10d/TCPStoreLibUvBackend.cpp:"
            + "1232 (most recent call first):\nframe #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x96\n";

    @Test
    void theNativeMessageIsCutToItsFirstLine() {
        assertEquals("The client socket has timed out after 5000ms while trying to connect to (127.0.0.1, 1)",
                Rendezvous.oneLine(TIMED_OUT));
        assertTrue(Rendezvous.oneLine(IN_USE).startsWith("The server socket has failed to listen"),
                Rendezvous.oneLine(IN_USE));
        assertEquals("Connection refused", Rendezvous.oneLine("Connection refused Exception raised from connect at "
                + "socket.cpp:1 (most recent call first): frame #0: x"));
        assertEquals("no reason given", Rendezvous.oneLine(null));
        assertEquals("no reason given", Rendezvous.oneLine("\n  \nException raised from x\nframe #0: y"));
        assertEquals(Rendezvous.MAX_REASON, Rendezvous.oneLine("x".repeat(1000)).length());
    }

    @Test
    void aFailedJoinIsOneLineNamingTheAddressAndTheFix() {
        RuntimeException nativeError = new RuntimeException(TIMED_OUT);
        UserException e = Rendezvous.joinFailed(1, 2, "127.0.0.1", 1, Duration.ofSeconds(5), nativeError);
        String m = e.getMessage();
        assertFalse(m.contains("\n") || m.contains("frame #") || m.contains("Exception raised"), m);
        assertTrue(m.startsWith("Worker 1 of 2 could not join the group at 127.0.0.1:1 within 5 s: The client socket "
                + "has timed out"), m);
        assertTrue(m.contains("Fix: start every worker with the same --world-size and --master"), m);
        assertSame(nativeError, e.getCause(), "--verbose still shows the native text");

        String inUse = Rendezvous.joinFailed(0, 2, "127.0.0.1", 29500, Duration.ofSeconds(5),
                new RuntimeException(IN_USE)).getMessage();
        assertFalse(inUse.contains("\n"), inUse);
        assertTrue(inUse.contains("Fix: choose a free port for --master"), inUse);
    }

    @Test
    void anUnknownMasterHostIsRefusedBeforeTheNativeStoreIsAsked() {
        UserException e = assertThrows(UserException.class,
                () -> Rendezvous.requireResolvable("no.such.host.invalid"));
        assertEquals("Cannot resolve the master host 'no.such.host.invalid' (--master / MASTER_ADDR). Fix: give the "
                + "name or IP address of the machine where rank 0 runs, as every worker's machine can resolve it, for "
                + "example --master 10.0.0.1:29500.", e.getMessage());
        Rendezvous.requireResolvable("127.0.0.1");
        Rendezvous.requireResolvable("localhost");

        long t0 = System.nanoTime();
        UserException joined = assertThrows(UserException.class, () -> new GlooProvider().join(1, 2,
                new GroupAddress("no.such.host.invalid", 29500, null, TOKEN, Duration.ofSeconds(300), null)));
        assertTrue(joined.getMessage().startsWith("Cannot resolve the master host 'no.such.host.invalid'"),
                joined.getMessage());
        assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(120).toNanos(), "refused without waiting for the "
                + "group timeout");
    }

    /**
     * A group of several workers without a token, or with port 0 where only rank 0 with a port file may have it, is
     * refused in one line before any library is asked; a group of one needs neither.
     */
    @Test
    void aGroupWithoutATokenOrWithAPortZeroItCannotUseIsOneLine() {
        UserException none = assertThrows(UserException.class, () -> Collectives.join(1, 2,
                new GroupAddress("127.0.0.1", 29500, null, null, Duration.ofSeconds(5), null)));
        assertEquals("Training on 2 workers needs a group token, so that only your workers can join rank 0, and worker "
                + "1 has none. Fix: make one with `head -c 32 /dev/urandom | base64 > token` and give the same file to "
                + "every worker with --group-token-file token (or put its text in SPHERICAL_GROUP_TOKEN).",
                none.getMessage());
        assertThrows(UserException.class, () -> Collectives.join(0, 3,
                new GroupAddress("127.0.0.1", 29500, null, new byte[0], Duration.ofSeconds(5), null)), "empty token");

        UserException zero = assertThrows(UserException.class, () -> Collectives.join(1, 2,
                new GroupAddress("10.0.0.1", 0, null, TOKEN, Duration.ofSeconds(5), Path.of("port"))));
        assertEquals("Worker 1 of 2 was given port 0 for rank 0's address 10.0.0.1:0, and only rank 0 may let the system "
                + "pick its port. Fix: give every other worker rank 0's real port, for example --master 10.0.0.1:29500.",
                zero.getMessage());
        UserException noFile = assertThrows(UserException.class, () -> Collectives.join(0, 2,
                new GroupAddress("10.0.0.1", 0, null, TOKEN, Duration.ofSeconds(5), null)));
        assertTrue(noFile.getMessage().startsWith("The port of --master (or MASTER_PORT) must be between 1 and 65535, "
                + "got 0 (port 0"), noFile.getMessage());
        for (UserException e : List.of(none, zero, noFile)) {
            assertFalse(e.getMessage().contains("\n"), e.getMessage());
            assertTrue(e.getMessage().contains("Fix: "), e.getMessage());
        }
        assertSame(Collective.single(), Collectives.join(0, 1, GroupAddress.single()), "one process: no token needed");
    }

    @Test
    void theAddressKeepsItsOwnCopyOfTheTokenAndNeverPrintsIt() {
        byte[] token = "s3cret-token".getBytes(StandardCharsets.UTF_8);
        GroupAddress a = new GroupAddress("127.0.0.1", 29500, null, token, Duration.ofSeconds(5), null);
        token[0] = 'X';
        assertArrayEquals("s3cret-token".getBytes(StandardCharsets.UTF_8), a.token());
        a.token()[1] = 'Y';
        assertArrayEquals("s3cret-token".getBytes(StandardCharsets.UTF_8), a.token());
        assertFalse(a.toString().contains("s3cret"), a.toString());
        assertTrue(a.toString().contains("12 bytes"), a.toString());
        assertEquals(a, new GroupAddress("127.0.0.1", 29500, null, "s3cret-token".getBytes(StandardCharsets.UTF_8),
                Duration.ofSeconds(5), null));
        assertEquals(a.hashCode(), new GroupAddress("127.0.0.1", 29500, null,
                "s3cret-token".getBytes(StandardCharsets.UTF_8), Duration.ofSeconds(5), null).hashCode());
    }

    @Test
    void theRefusalOfAWrongTokenIsOneLineWithTheFix() {
        assertEquals("Worker 2 of 4: rank 0 at h:1 refused this worker's group token. Fix: give every worker the same "
                + "--group-token-file or SPHERICAL_GROUP_TOKEN.",
                Rendezvous.refused(2, 4, "h", 1, GateHandshake.WRONG_TOKEN).getMessage());
        String other = Rendezvous.refused(2, 4, "h", 1, "the peer did not prove the group token").getMessage();
        assertTrue(other.startsWith("Worker 2 of 4: the process at h:1 did not admit this worker (the peer did not prove"
                + " the group token). Fix: "), other);
    }
}
