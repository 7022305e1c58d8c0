package io.spherical.distributed;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The door of a worker of rank > 0 to rank 0's {@link AdmissionGate}. {@link #awaitGate} makes one eager handshake
 * (a {@link GateHandshake#PROBE}) before the native store exists, retrying every {@value #RETRY_MS} ms while nobody
 * listens (rank 0 may start later), so that a wrong token or an unreachable master is one line of ours, never the
 * native library's. {@link #open} then listens on {@code 127.0.0.1} (a port the system picks) for the native store
 * client: each local connection gets a connection to the gate, the handshake as client, and a {@link SocketBridge}.
 * A connection the gate does not admit is closed, and its reason kept for the error ({@link #lastFailure()}).
 */
final class GateRelay implements AutoCloseable {
    /** The shortest time one attempt to connect is given, in milliseconds. */
    static final int MIN_CONNECT_MS = 500;
    /** Milliseconds between two attempts to reach a gate nobody listens at yet. */
    static final int RETRY_MS = 200;

    private final ServerSocket local;
    private final String host;
    private final int port;
    private final GateHandshake handshake;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile String lastFailure;
    private volatile boolean closed;

    private GateRelay(ServerSocket local, String host, int port, GateHandshake handshake) {
        this.local = local;
        this.host = host;
        this.port = port;
        this.handshake = handshake;
    }

    /**
     * Returns once rank 0's gate at {@code host:port} has admitted this worker's token; waits up to {@code timeout}
     * for a gate to answer. A refused token is one line at once ({@link Rendezvous#refused}); no admission within
     * the timeout is one line naming the address ({@link Rendezvous#unreachable}).
     */
    static void awaitGate(int rank, int size, String host, int port, GateHandshake handshake, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        IOException last;
        while (true) {
            long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            Socket s = new Socket();
            try {
                // at least MIN_CONNECT_MS even at the deadline: a last attempt given 1 ms would report a timeout
                // where the truth is "nobody listens" (a refused loopback connection takes microseconds)
                s.connect(new InetSocketAddress(host, port), (int) Math.max(MIN_CONNECT_MS,
                        Math.min(left, handshake.timeoutMillis())));
                handshake.join(s, GateHandshake.PROBE);
                return;
            } catch (GateHandshake.Refused e) {
                throw Rendezvous.refused(rank, size, host, port, e.reason());
            } catch (IOException e) {
                last = e;       // nobody listens yet, unreachable, or the handshake broke off: try again
            } finally {
                SocketBridge.closeQuietly(s);
            }
            if (System.nanoTime() - deadline >= 0) {
                throw Rendezvous.unreachable(rank, size, host, port, timeout, last);
            }
            try {
                Thread.sleep(Math.min(RETRY_MS, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw Rendezvous.unreachable(rank, size, host, port, timeout, last);
            }
        }
    }

    /** Listens on 127.0.0.1 for the native store client and relays each connection to the gate at host:port. */
    static GateRelay open(String host, int port, GateHandshake handshake) throws IOException {
        GateRelay relay = new GateRelay(new ServerSocket(0, 50, AdmissionGate.LOOPBACK), host, port, handshake);
        SocketBridge.daemon(relay::acceptLoop, "spherical-relay").start();
        return relay;
    }

    /** The local port the native store client connects to. */
    int port() {
        return local.getLocalPort();
    }

    /** Why the last local connection could not be passed to the gate, or null when none failed. */
    String lastFailure() {
        return lastFailure;
    }

    @Override
    public void close() {
        closed = true;
        SocketBridge.closeQuietly(local);
        for (Socket s : open) {
            SocketBridge.closeQuietly(s);
        }
        open.clear();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket mine;
            try {
                mine = local.accept();
            } catch (IOException e) {
                if (closed || local.isClosed()) {
                    return;
                }
                try {
                    Thread.sleep(50);   // e.g. out of file descriptors: try again shortly rather than spin
                } catch (InterruptedException ie) {
                    return;
                }
                continue;
            }
            SocketBridge.daemon(() -> pass(mine), "spherical-relay-handshake").start();
        }
    }

    /** One local connection: a connection to the gate, the handshake, then the relay; closed when not admitted. */
    private void pass(Socket mine) {
        open.add(mine);
        Socket gate = new Socket();
        open.add(gate);
        try {
            gate.connect(new InetSocketAddress(host, port), handshake.timeoutMillis());
            handshake.join(gate, GateHandshake.STORE);
            gate.setTcpNoDelay(true);
            mine.setTcpNoDelay(true);
        } catch (IOException e) {
            lastFailure = e instanceof GateHandshake.Refused r ? "rank 0 at " + host + ":" + port + " refused this "
                    + "worker (" + r.reason() + ")" : "the connection to rank 0 at " + host + ":" + port + " failed ("
                    + Rendezvous.oneLine(e.getMessage()) + ")";
            SocketBridge.closeQuietly(mine);
            SocketBridge.closeQuietly(gate);
            open.remove(mine);
            open.remove(gate);
            return;
        }
        SocketBridge.start(mine, gate, "spherical-relay", () -> {
            open.remove(mine);
            open.remove(gate);
        });
        if (closed) {
            SocketBridge.closeQuietly(mine);
            SocketBridge.closeQuietly(gate);
        }
    }
}
