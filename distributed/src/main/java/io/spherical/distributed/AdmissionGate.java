package io.spherical.distributed;

import io.spherical.api.UserException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Rank 0's admission gate: the only door to the group's rendezvous store (which listens on loopback only) from the
 * network. It listens on the address the other workers reach ({@code --master}'s host, or {@code --bind}); a daemon
 * thread accepts, and each connection gets a short-lived thread of its own that runs the {@link GateHandshake} as
 * server, within the handshake's timeout in all (a watchdog closes a connection that takes longer), at most
 * {@link #MAX_PENDING} at a time. An admitted store connection is relayed to {@code 127.0.0.1:storePort}
 * ({@link SocketBridge}); an admitted probe is closed. A refused one is told {@code REFUSED: <reason>} and logged in
 * one line, "Refused a connection to the group from ADDR: REASON (the group continues).": the group is not
 * disturbed. {@link #close()} closes the listening socket and every connection it holds.
 */
final class AdmissionGate implements AutoCloseable {
    /** Connections in their handshake at once; more are closed at once (and logged). */
    static final int MAX_PENDING = 64;
    /** 127.0.0.1, whatever the JVM's preference for IPv6. */
    static final InetAddress LOOPBACK = loopback();

    private final ServerSocket server;
    private final GateHandshake handshake;
    private final int storePort;
    private final Consumer<String> log;
    private final Semaphore pending = new Semaphore(MAX_PENDING);
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final ScheduledThreadPoolExecutor watchdog = new ScheduledThreadPoolExecutor(1,
            r -> SocketBridge.daemon(r, "spherical-gate-watchdog"));
    private volatile boolean closed;

    private AdmissionGate(ServerSocket server, GateHandshake handshake, int storePort, Consumer<String> log) {
        this.server = server;
        this.handshake = handshake;
        this.storePort = storePort;
        this.log = log;
        watchdog.setRemoveOnCancelPolicy(true);
    }

    /**
     * Listens on {@code at} (port 0: the system picks one, see {@link #port()}) and admits, to the store on
     * {@code 127.0.0.1:storePort}, the connections that prove the token; {@code log} gets each refusal's line.
     */
    static AdmissionGate open(InetSocketAddress at, GateHandshake handshake, int storePort, Consumer<String> log)
            throws IOException {
        ServerSocket s = new ServerSocket();
        try {
            s.bind(at, 128);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
        AdmissionGate gate = new AdmissionGate(s, handshake, storePort, log);
        SocketBridge.daemon(gate::acceptLoop, "spherical-gate").start();
        return gate;
    }

    /**
     * The address to listen on: {@code bind} when given ({@code 0.0.0.0} is every interface), else {@code host}'s,
     * the master's host as the workers name it. A {@code bind} that does not resolve is one line.
     */
    static InetAddress bindAddress(String host, String bind) {
        boolean given = bind != null && !bind.isBlank();
        try {
            return InetAddress.getByName(given ? bind.strip() : host);
        } catch (UnknownHostException | SecurityException e) {
            if (!given) {
                Rendezvous.requireResolvable(host);
            }
            throw new UserException("Cannot listen on --bind '" + bind + "': it is neither an IP address nor a name "
                    + "this machine resolves. Fix: give one of rank 0's IP addresses (the interface the other workers "
                    + "reach), or --bind 0.0.0.0 for every interface.");
        }
    }

    /** The address and port the gate listens on. */
    InetSocketAddress address() {
        return (InetSocketAddress) server.getLocalSocketAddress();
    }

    /** The port the gate listens on (the one the system picked for port 0). */
    int port() {
        return server.getLocalPort();
    }

    /**
     * Writes {@link #port()} and a line end to {@code file} atomically (a temporary file in the same folder, then
     * moved over it), for the launcher that gave this rank port 0.
     */
    void publishPort(Path file) throws IOException {
        Path target = file.toAbsolutePath();
        Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, port() + "\n", StandardCharsets.US_ASCII);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    @Override
    public void close() {
        closed = true;
        SocketBridge.closeQuietly(server);
        watchdog.shutdownNow();
        for (Socket s : open) {
            SocketBridge.closeQuietly(s);
        }
        open.clear();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (closed || server.isClosed()) {
                    return;
                }
                pause();        // e.g. out of file descriptors: try again shortly rather than spin
                continue;
            }
            if (!pending.tryAcquire()) {
                refused(s, "too many connections are waiting for their handshake", true);
                continue;
            }
            SocketBridge.daemon(() -> admit(s), "spherical-gate-handshake").start();
        }
    }

    /** One connection: the handshake within its time, then the relay to the store, or the refusal. */
    private void admit(Socket s) {
        open.add(s);
        AtomicInteger state = new AtomicInteger();      // 0 in the handshake, 1 finished, 2 out of time
        String late = "no handshake within " + Math.max(1, handshake.timeoutMillis() / 1000) + " s";
        ScheduledFuture<?> watch;
        try {
            watch = watchdog.schedule(() -> {
                synchronized (state) {          // told before anyone closes (see the catch below)
                    if (state.compareAndSet(0, 2)) {
                        tell(s, late);
                        SocketBridge.closeQuietly(s);
                    }
                }
            }, handshake.timeoutMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {       // the gate is closing
            pending.release();
            SocketBridge.closeQuietly(s);
            open.remove(s);
            return;
        }
        byte purpose;
        try {
            purpose = handshake.admit(s);
            if (!state.compareAndSet(0, 1)) {
                throw new SocketTimeoutException();
            }
        } catch (GateHandshake.Refused e) {
            state.set(1);
            refused(s, e.reason(), false);      // the handshake has told the peer
            return;
        } catch (IOException e) {
            boolean timedOut = e instanceof SocketTimeoutException || state.get() == 2;
            boolean tell;
            synchronized (state) {      // when the watchdog won, it has told the peer by the time this lock is held
                tell = timedOut && state.compareAndSet(0, 2);            // the read timed out before the watchdog
            }
            if (closed) {
                SocketBridge.closeQuietly(s);
                open.remove(s);
            } else {
                refused(s, timedOut ? late : "the connection ended during the handshake", tell);
            }
            return;
        } finally {
            watch.cancel(false);
            pending.release();
        }
        if (purpose == GateHandshake.PROBE) {
            SocketBridge.closeQuietly(s);
            open.remove(s);
            return;
        }
        relay(s);
    }

    private void relay(Socket s) {
        Socket store;
        try {
            store = new Socket(LOOPBACK, storePort);
            store.setTcpNoDelay(true);
            s.setTcpNoDelay(true);
        } catch (IOException e) {
            if (!closed) {
                log.accept("Could not pass an admitted worker from " + from(s) + " to the rendezvous store on "
                        + "127.0.0.1:" + storePort + " (" + e.getMessage() + ").");
            }
            SocketBridge.closeQuietly(s);
            open.remove(s);
            return;
        }
        open.add(store);
        SocketBridge.start(s, store, "spherical-gate", () -> {
            open.remove(s);
            open.remove(store);
        });
        if (closed) {
            SocketBridge.closeQuietly(s);
            SocketBridge.closeQuietly(store);
        }
    }

    /** Logs the refusal's one line and closes the connection, first telling the peer why when {@code tell}. */
    private void refused(Socket s, String reason, boolean tell) {
        if (tell) {
            tell(s, reason);
        }
        log.accept("Refused a connection to the group from " + from(s) + ": " + reason + " (the group continues).");
        SocketBridge.closeQuietly(s);
        open.remove(s);
    }

    /** Sends the peer the refusal line, if it can still be sent. */
    private static void tell(Socket s, String reason) {
        try {
            s.getOutputStream().write((GateHandshake.REFUSED + reason + "\n").getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
        } catch (IOException e) {
            // the peer is gone
        }
    }

    private static String from(Socket s) {
        InetAddress a = s.getInetAddress();
        return (a == null ? "an unknown address" : a.getHostAddress()) + ":" + s.getPort();
    }

    private static void pause() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static InetAddress loopback() {
        try {
            return InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 1});
        } catch (UnknownHostException e) {
            throw new IllegalStateException(e);       // never: four bytes are a valid IPv4 address
        }
    }
}
