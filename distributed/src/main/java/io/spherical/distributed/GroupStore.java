package io.spherical.distributed;

import io.spherical.api.GroupAddress;
import io.spherical.api.UserException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import org.bytedeco.javacpp.SizeTPointer;
import org.bytedeco.javacpp.chrono.Milliseconds;
import org.bytedeco.pytorch.IntOptional;
import org.bytedeco.pytorch.TCPStore;
import org.bytedeco.pytorch.TCPStoreOptions;

/**
 * The rendezvous store of a Gloo group (c10d's {@code TCPStore}), behind token admission.
 *
 * <p>Rank 0: the native store serves on a loopback-only socket ({@link LoopbackListener}), and an
 * {@link AdmissionGate} listens on {@code --master}'s address (or {@code --bind}) and passes to it only the
 * connections that prove the group token; when the address has a port file, the gate's port is written there (for
 * port 0, the launcher's). Rank 0's own store client connects to the loopback port directly.
 *
 * <p>Ranks > 0: one eager handshake with the gate first ({@link GateRelay#awaitGate}: a wrong token or an unreachable
 * master is one line, before the native store could log anything), then a {@link GateRelay} on loopback that the
 * native store client connects to.
 *
 * <p>{@link #close()} closes the store, then the gate or relay and their connections.
 */
final class GroupStore implements AutoCloseable {
    private static final String LOOPBACK = "127.0.0.1";

    private final TCPStore store;
    private final AdmissionGate gate;
    private final GateRelay relay;

    private GroupStore(TCPStore store, AdmissionGate gate, GateRelay relay) {
        this.store = store;
        this.gate = gate;
        this.relay = relay;
    }

    /** Rank {@code rank}'s side of the rendezvous of {@code size} workers at {@code at} (which holds a token). */
    static GroupStore open(int rank, int size, GroupAddress at) {
        GateHandshake handshake = new GateHandshake(at.token());
        return rank == 0 ? serve(size, at, handshake) : join(rank, size, at, handshake);
    }

    /** The native store. */
    TCPStore store() {
        return store;
    }

    /** Rank 0's gate, or null on the other ranks. */
    AdmissionGate gate() {
        return gate;
    }

    @Override
    public void close() {
        store.close();
        if (gate != null) {
            gate.close();
        }
        if (relay != null) {
            relay.close();
        }
    }

    private static GroupStore serve(int size, GroupAddress at, GateHandshake handshake) {
        InetSocketAddress where = new InetSocketAddress(AdmissionGate.bindAddress(at.host(), at.bind()), at.port());
        LoopbackListener listener = LoopbackListener.open(ThreadLocalRandom.current(), at.port());
        AdmissionGate gate;
        try {
            gate = AdmissionGate.open(where, handshake, listener.port(), System.err::println);
        } catch (IOException e) {
            listener.discard();
            throw Rendezvous.cannotListen(at.host(), at.port(), where, e);
        }
        try {
            if (at.portFile() != null) {
                gate.publishPort(at.portFile());
            }
            TCPStoreOptions o = options(size, at.timeout());
            o.port((short) listener.port());
            o.isServer(true);
            o.masterListenFd(new IntOptional(listener.fd()));
            return new GroupStore(new TCPStore(LOOPBACK, o), gate, null);
        } catch (IOException e) {
            gate.close();
            listener.discard();
            throw new UserException("Rank 0 cannot write its port to " + at.portFile() + " (" + Rendezvous.oneLine(
                    e.getMessage()) + "). Fix: make the run directory writable, or give --master HOST:PORT with a "
                    + "port.", e);
        } catch (UserException e) {
            gate.close();
            throw e;
        } catch (RuntimeException e) {
            gate.close();
            throw Rendezvous.joinFailed(0, size, at.host(), gate.port(), at.timeout(), e);
        }
    }

    private static GroupStore join(int rank, int size, GroupAddress at, GateHandshake handshake) {
        GateRelay.awaitGate(rank, size, at.host(), at.port(), handshake, at.timeout());
        GateRelay relay;
        try {
            relay = GateRelay.open(at.host(), at.port(), handshake);
        } catch (IOException e) {
            throw new UserException("Worker " + rank + " of " + size + " cannot listen on 127.0.0.1 for its relay to "
                    + "rank 0 (" + Rendezvous.oneLine(e.getMessage()) + "). Fix: check that the loopback interface "
                    + "is up.", e);
        }
        try {
            TCPStoreOptions o = options(size, at.timeout());
            o.port((short) relay.port());
            o.isServer(false);
            return new GroupStore(new TCPStore(LOOPBACK, o), null, relay);
        } catch (RuntimeException e) {
            relay.close();
            String why = relay.lastFailure();
            throw Rendezvous.joinFailed(rank, size, at.host(), at.port(), at.timeout(),
                    why == null ? e : new RuntimeException(why, e));
        }
    }

    private static TCPStoreOptions options(int size, Duration timeout) {
        TCPStoreOptions o = new TCPStoreOptions();
        o.numWorkers(new SizeTPointer(1).put(size));
        o.waitWorkers(true);
        o.timeout(new Milliseconds(timeout.toMillis()));
        return o;
    }
}
