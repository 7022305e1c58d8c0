package io.spherical.distributed;

import io.spherical.api.UserException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Locale;
import java.util.Random;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.gloo.Socket;

/**
 * A TCP socket listening on 127.0.0.1 only, made natively (Gloo's {@code Socket}: {@code socket}, {@code bind},
 * {@code listen}) so that its descriptor can be handed to c10d's {@code TCPStore} as
 * {@code TCPStoreOptions.masterListenFd}: the store then serves on loopback instead of binding every interface, and
 * only rank 0's {@link AdmissionGate} reaches it from the network. The descriptor's port cannot be read back (no
 * {@code getsockname} in the preset), and c10d checks that it equals {@code TCPStoreOptions.port}, so the port is
 * chosen here: a random one in {@value #FIRST} .. {@value #LAST}, another while the bind fails (address in use), at
 * most {@value #TRIES} tries.
 */
final class LoopbackListener {
    static final int FIRST = 20000;
    static final int LAST = 60999;
    static final int TRIES = 50;
    /** {@code AF_INET} on Linux and macOS. */
    static final byte AF_INET = 2;
    /** {@code sizeof(struct sockaddr_in)}. */
    static final byte SOCKADDR_IN_BYTES = 16;
    private static final int BACKLOG = 128;
    /** Whether {@code struct sockaddr_in} has the BSD layout here (a length byte, a one-byte family). */
    static final boolean BSD_LAYOUT = bsdLayout();

    private final int fd;
    private final int port;

    private LoopbackListener(int fd, int port) {
        this.fd = fd;
        this.port = port;
    }

    /** The descriptor, now owned by whoever takes it (the native store closes it). */
    int fd() {
        return fd;
    }

    int port() {
        return port;
    }

    /**
     * A listening loopback socket at a free random port other than {@code avoid} (the port the gate is to listen on);
     * no free port in {@value #TRIES} tries is one line.
     */
    static LoopbackListener open(Random random, int avoid) {
        RuntimeException last = null;
        for (int i = 0; i < TRIES; i++) {
            int p = FIRST + random.nextInt(LAST - FIRST + 1);
            if (p == avoid) {
                continue;
            }
            Socket s = Socket.createForFamily(AF_INET);
            try (BytePointer address = new BytePointer(sockaddrIn(p))) {
                s.reuseAddr(false);
                s.bind(address, SOCKADDR_IN_BYTES);
                s.listen(BACKLOG);
                return new LoopbackListener(s.release(), p);
            } catch (RuntimeException e) {
                last = e;               // most likely in use: another port
            } finally {
                s.close();              // closes the descriptor unless release() gave it away
            }
        }
        throw new UserException("Rank 0 found no free port on 127.0.0.1 for its rendezvous store (" + TRIES + " random "
                + "ports between " + FIRST + " and " + LAST + "; the last said: " + Rendezvous.oneLine(
                last == null ? null : last.getMessage()) + "). Fix: free ports in that range on rank 0's machine, or "
                + "start rank 0 again.", last);
    }

    /** Closes a descriptor nobody took (a store that was never made). */
    void discard() {
        new Socket(fd).close();
    }

    /**
     * The 16 bytes of a {@code struct sockaddr_in} for 127.0.0.1:{@code port} in this operating system's layout
     * ({@link #sockaddrIn(int, boolean)}).
     */
    static byte[] sockaddrIn(int port) {
        return sockaddrIn(port, BSD_LAYOUT);
    }

    /**
     * The 16 bytes of a {@code struct sockaddr_in} for 127.0.0.1:{@code port}: on Linux ({@code bsd} false)
     * {@code sin_family} {@link #AF_INET} as a 16-bit number in the machine's byte order; on macOS and the BSDs
     * ({@code bsd} true) a length byte ({@value #SOCKADDR_IN_BYTES}) then {@code sin_family} in one byte; then
     * {@code sin_port} in network order (big-endian), {@code sin_addr} 127.0.0.1, eight zero bytes.
     */
    static byte[] sockaddrIn(int port, boolean bsd) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port " + port);
        }
        byte[] b = new byte[SOCKADDR_IN_BYTES];
        if (bsd) {
            b[0] = SOCKADDR_IN_BYTES;
            b[1] = AF_INET;
        } else {
            ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).putShort(0, (short) AF_INET);
        }
        b[2] = (byte) (port >>> 8);
        b[3] = (byte) port;
        b[4] = 127;
        b[7] = 1;
        return b;
    }

    /** Whether this system's {@code struct sockaddr_in} starts with a length byte (macOS, the BSDs). */
    private static boolean bsdLayout() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        return os.contains("mac") || os.contains("darwin") || os.contains("bsd");
    }
}
