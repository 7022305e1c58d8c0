package io.spherical.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.UserException;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admission of the rendezvous in plain Java (no native code): an {@link AdmissionGate} in front of a stand-in
 * store (a loopback server that answers every byte with the byte plus one), reached directly or through a
 * {@link GateRelay}. The right token is admitted and bytes flow both ways unchanged; a wrong token is refused on
 * both sides in one line and never reaches the store; a silent peer is cut off after the handshake's timeout without
 * holding up the others; a recorded MAC is worthless on another connection.
 */
class GateHandshakeTest {
    static final byte[] TOKEN = "correct horse battery staple".getBytes(StandardCharsets.UTF_8);
    static final byte[] WRONG = "incorrect horse".getBytes(StandardCharsets.UTF_8);

    private final BlockingQueue<String> log = new LinkedBlockingQueue<>();
    private final AtomicInteger storeConnections = new AtomicInteger();
    private final List<AutoCloseable> closing = new ArrayList<>();
    private ServerSocket store;

    /** The stand-in store: every connection gets each byte it sends back plus one. */
    @BeforeEach
    void startTheStore() throws IOException {
        store = new ServerSocket(0, 50, AdmissionGate.LOOPBACK);
        closing.add(store);
        SocketBridge.daemon(() -> {
            while (!store.isClosed()) {
                try {
                    Socket s = store.accept();
                    storeConnections.incrementAndGet();
                    SocketBridge.daemon(() -> plusOne(s), "test-store-connection").start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "test-store").start();
    }

    @AfterEach
    void closeEverything() throws Exception {
        for (AutoCloseable c : closing) {
            c.close();
        }
    }

    private static void plusOne(Socket s) {
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[4096];
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                for (int i = 0; i < n; i++) {
                    buf[i]++;
                }
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            // the test closed it
        }
    }

    private AdmissionGate gate(Duration timeout) throws IOException {
        AdmissionGate g = AdmissionGate.open(new InetSocketAddress(AdmissionGate.LOOPBACK, 0),
                new GateHandshake(TOKEN, timeout), store.getLocalPort(), log::add);
        closing.add(g);
        return g;
    }

    /** Sends 100,000 random bytes and checks that each comes back plus one (writing and reading at once). */
    private static void roundTrip(Socket s) throws Exception {
        byte[] sent = new byte[100_000];
        new Random(7).nextBytes(sent);
        Thread writer = SocketBridge.daemon(() -> {
            try {
                s.getOutputStream().write(sent);
                s.getOutputStream().flush();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }, "test-writer");
        writer.start();
        s.setSoTimeout(30_000);
        byte[] got = new byte[sent.length];
        new DataInputStream(s.getInputStream()).readFully(got);
        writer.join(30_000);
        for (int i = 0; i < sent.length; i++) {
            sent[i]++;
        }
        assertArrayEquals(sent, got);
    }

    @Test
    void theRightTokenIsAdmittedAndBytesFlowBothWaysDirectlyAndThroughTheRelay() throws Exception {
        AdmissionGate g = gate(GateHandshake.TIMEOUT);
        try (Socket s = new Socket(AdmissionGate.LOOPBACK, g.port())) {
            new GateHandshake(TOKEN).join(s, GateHandshake.STORE);
            roundTrip(s);
        }
        GateRelay.awaitGate(1, 2, "127.0.0.1", g.port(), new GateHandshake(TOKEN), Duration.ofSeconds(30));
        GateRelay relay = GateRelay.open("127.0.0.1", g.port(), new GateHandshake(TOKEN));
        closing.add(relay);
        try (Socket s = new Socket(AdmissionGate.LOOPBACK, relay.port())) {
            roundTrip(s);
        }
        assertEquals(2, storeConnections.get(), "one store connection each; the probe reaches no store");
        assertEquals(List.of(), List.copyOf(log), "nothing refused");
    }

    @Test
    void aWrongTokenIsRefusedOnBothSidesInOneLineAndNeverReachesTheStore() throws Exception {
        AdmissionGate g = gate(GateHandshake.TIMEOUT);
        int localPort;
        try (Socket s = new Socket(AdmissionGate.LOOPBACK, g.port())) {
            localPort = s.getLocalPort();
            GateHandshake.Refused e = assertThrows(GateHandshake.Refused.class,
                    () -> new GateHandshake(WRONG).join(s, GateHandshake.STORE));
            assertEquals(GateHandshake.WRONG_TOKEN, e.reason());
            assertEquals(-1, s.getInputStream().read(), "the gate closes after its refusal");
        }
        assertEquals("Refused a connection to the group from 127.0.0.1:" + localPort + ": wrong group token (the group "
                + "continues).", log.poll(30, TimeUnit.SECONDS));

        UserException e = assertThrows(UserException.class, () -> GateRelay.awaitGate(1, 2, "127.0.0.1", g.port(),
                new GateHandshake(WRONG), Duration.ofSeconds(30)));
        assertEquals("Worker 1 of 2: rank 0 at 127.0.0.1:" + g.port() + " refused this worker's group token. Fix: give "
                + "every worker the same --group-token-file or SPHERICAL_GROUP_TOKEN.", e.getMessage());
        assertTrue(log.poll(30, TimeUnit.SECONDS).endsWith(": wrong group token (the group continues)."));
        assertEquals(0, storeConnections.get(), "no refused connection reached the store");

        try (Socket s = new Socket(AdmissionGate.LOOPBACK, g.port())) {      // the gate still admits the right token
            new GateHandshake(TOKEN).join(s, GateHandshake.STORE);
            roundTrip(s);
        }
        assertEquals(1, storeConnections.get());
    }

    @Test
    void aSilentPeerDoesNotHoldUpTheOthersAndIsCutOffAfterTheTimeout() throws Exception {
        AdmissionGate patient = gate(Duration.ofMinutes(10));
        try (Socket silent = new Socket(AdmissionGate.LOOPBACK, patient.port());
             Socket s = new Socket(AdmissionGate.LOOPBACK, patient.port())) {
            new GateHandshake(TOKEN, Duration.ofMinutes(10)).join(s, GateHandshake.STORE);   // while silent waits
            roundTrip(s);
            assertEquals(0, silent.getInputStream().available(), "the silent peer is still in its handshake");
            assertEquals(List.of(), List.copyOf(log));
        }

        AdmissionGate quick = gate(Duration.ofSeconds(1));
        try (Socket silent = new Socket(AdmissionGate.LOOPBACK, quick.port())) {
            silent.setSoTimeout(60_000);
            assertEquals("REFUSED: no handshake within 1 s", GateHandshake.readLine(silent.getInputStream()));
            assertEquals(-1, silent.getInputStream().read());
            assertEquals("Refused a connection to the group from 127.0.0.1:" + silent.getLocalPort() + ": no handshake "
                    + "within 1 s (the group continues).", lineAbout(silent.getLocalPort()));
        }
    }

    @Test
    void somethingElseThanAWorkerIsRefusedInOneLine() throws Exception {
        AdmissionGate g = gate(GateHandshake.TIMEOUT);
        try (Socket s = new Socket(AdmissionGate.LOOPBACK, g.port())) {
            s.getOutputStream().write("GET / HT".getBytes(StandardCharsets.US_ASCII));   // as long as the magic
            s.setSoTimeout(30_000);
            assertEquals("REFUSED: not a spherical worker", GateHandshake.readLine(s.getInputStream()));
        }
        String line = log.poll(30, TimeUnit.SECONDS);
        assertTrue(line != null && line.endsWith(": not a spherical worker (the group continues)."), line);
        assertEquals(0, storeConnections.get());
    }

    @Test
    void theMacDependsOnBothNoncesAndTheRoleSoARecordedOneIsWorthlessOnAnotherConnection() throws Exception {
        GateHandshake h = new GateHandshake(TOKEN);
        byte[] nc = GateHandshake.nonce();
        byte[] ns = GateHandshake.nonce();
        byte[] mac = h.mac("client", GateHandshake.STORE, nc, ns);
        assertEquals(GateHandshake.MAC_BYTES, mac.length);
        assertArrayEquals(mac, h.mac("client", GateHandshake.STORE, nc.clone(), ns.clone()), "deterministic");
        assertFalse(java.util.Arrays.equals(mac, h.mac("client", GateHandshake.STORE, GateHandshake.nonce(), ns)));
        assertFalse(java.util.Arrays.equals(mac, h.mac("client", GateHandshake.STORE, nc, GateHandshake.nonce())));
        assertFalse(java.util.Arrays.equals(mac, h.mac("server", GateHandshake.STORE, nc, ns)), "roles differ");
        assertFalse(java.util.Arrays.equals(mac, h.mac("client", GateHandshake.PROBE, nc, ns)), "purposes differ");
        assertFalse(java.util.Arrays.equals(mac, new GateHandshake(WRONG).mac("client", GateHandshake.STORE, nc, ns)));
        assertFalse(java.util.Arrays.equals(nc, ns), "fresh nonces");

        AdmissionGate g = gate(GateHandshake.TIMEOUT);
        byte[] recorded;
        try (Socket s = new Socket(AdmissionGate.LOOPBACK, g.port())) {   // a legitimate exchange, recorded
            byte[] serverNonce = hello(s, nc);
            recorded = h.mac("client", GateHandshake.STORE, nc, serverNonce);
            s.getOutputStream().write(recorded);
            assertEquals("OK", GateHandshake.readLine(s.getInputStream()));
        }
        try (Socket s = new Socket(AdmissionGate.LOOPBACK, g.port())) {   // the same client nonce, the MAC replayed
            byte[] serverNonce = hello(s, nc);
            assertFalse(java.util.Arrays.equals(recorded, h.mac("client", GateHandshake.STORE, nc, serverNonce)));
            s.getOutputStream().write(recorded);
            assertEquals("REFUSED: wrong group token", GateHandshake.readLine(s.getInputStream()));
        }
        String line = log.poll(30, TimeUnit.SECONDS);
        assertTrue(line != null && line.endsWith(": wrong group token (the group continues)."), line);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (storeConnections.get() < 1 && System.nanoTime() < deadline) {
            Thread.sleep(10);       // the gate connects to the store just after its OK
        }
        assertEquals(1, storeConnections.get(), "only the legitimate exchange reached the store");
    }

    /** The next logged line about the connection from local port {@code port}, skipping others; null after 60 s. */
    private String lineAbout(int port) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            String line = log.poll(1, TimeUnit.SECONDS);
            if (line != null && line.contains("127.0.0.1:" + port + ": ")) {
                return line;
            }
        }
        return null;
    }

    /** Sends the client's first message with nonce {@code nc}; returns the server's nonce (its MAC is read too). */
    private static byte[] hello(Socket s, byte[] nc) throws IOException {
        s.setSoTimeout(30_000);
        OutputStream out = s.getOutputStream();
        out.write(GateHandshake.MAGIC);
        out.write(GateHandshake.STORE);
        out.write(nc);
        out.flush();
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] ns = new byte[GateHandshake.NONCE_BYTES];
        in.readFully(ns);
        in.readFully(new byte[GateHandshake.MAC_BYTES]);
        return ns;
    }

    @Test
    void nobodyListeningIsOneLineNamingTheAddressAfterTheTimeout() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, AdmissionGate.LOOPBACK)) {
            port = free.getLocalPort();
        }
        UserException e = assertThrows(UserException.class, () -> GateRelay.awaitGate(1, 2, "127.0.0.1", port,
                new GateHandshake(TOKEN), Duration.ofSeconds(1)));
        assertEquals("Worker 1 of 2 could not join the group at 127.0.0.1:" + port + " within 1 s: nobody listens there "
                + "(connection refused). Fix: " + Rendezvous.START_EVERY_WORKER, e.getMessage());
    }

    @Test
    void theGateListensWhereTheMasterIsAndBindParsesAnAddress(@TempDir Path dir) throws Exception {
        AdmissionGate g = AdmissionGate.open(new InetSocketAddress(AdmissionGate.bindAddress("127.0.0.1", null), 0),
                new GateHandshake(TOKEN), store.getLocalPort(), log::add);
        closing.add(g);
        assertEquals(InetAddress.getByName("127.0.0.1"), g.address().getAddress(), "a loopback master: loopback only");
        assertTrue(g.port() > 0);

        assertEquals(InetAddress.getByName("127.0.0.1"), AdmissionGate.bindAddress("localhost", "127.0.0.1"));
        assertTrue(AdmissionGate.bindAddress("127.0.0.1", "0.0.0.0").isAnyLocalAddress(), "0.0.0.0: every interface");
        assertEquals(InetAddress.getByName("127.0.0.1"), AdmissionGate.bindAddress("127.0.0.1", "  "), "blank: none");
        UserException e = assertThrows(UserException.class,
                () -> AdmissionGate.bindAddress("127.0.0.1", "no.such.host.invalid"));
        assertEquals("Cannot listen on --bind 'no.such.host.invalid': it is neither an IP address nor a name this "
                + "machine resolves. Fix: give one of rank 0's IP addresses (the interface the other workers reach), or "
                + "--bind 0.0.0.0 for every interface.", e.getMessage());

        Path file = dir.resolve("rendezvous.port");
        Files.writeString(file, "stale\n");
        g.publishPort(file);
        assertEquals(g.port() + "\n", Files.readString(file));
        try (var files = Files.list(dir)) {
            assertEquals(List.of(file), files.toList(), "no temporary file left");
        }
    }

    @Test
    void theSockaddrOfTheLoopbackListenerIsAnInetAddressInNetworkOrder() {
        byte[] linux = LoopbackListener.sockaddrIn(0x1234, false);
        assertEquals(LoopbackListener.SOCKADDR_IN_BYTES, linux.length);
        assertEquals(LoopbackListener.AF_INET, java.nio.ByteBuffer.wrap(linux).order(java.nio.ByteOrder.nativeOrder())
                .getShort(0), "sin_family: 16 bits in the machine's order");
        assertArrayEquals(new byte[] {0x12, 0x34, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0},
                java.util.Arrays.copyOfRange(linux, 2, 16));
        byte[] bsd = LoopbackListener.sockaddrIn(0x1234, true);
        assertArrayEquals(new byte[] {16, 2, 0x12, 0x34, 127, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0}, bsd,
                "sin_len, then sin_family in one byte");
        String os = System.getProperty("os.name").toLowerCase(java.util.Locale.ROOT);
        assertArrayEquals(os.contains("linux") ? linux : os.contains("mac") ? bsd : LoopbackListener.sockaddrIn(0x1234),
                LoopbackListener.sockaddrIn(0x1234), "this system's layout");
        assertThrows(IllegalArgumentException.class, () -> LoopbackListener.sockaddrIn(70000));
        assertThrows(IllegalArgumentException.class, () -> LoopbackListener.sockaddrIn(0));
    }
}
