package io.spherical.distributed;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Relays bytes both ways between two connected sockets, one daemon thread per direction with one buffer each. The
 * end of one direction's input is passed on as a half-close of the other socket's output; when both directions have
 * ended, or either fails, both sockets are closed and {@code onClose} runs once.
 */
final class SocketBridge {
    private static final int BUFFER = 64 * 1024;

    private final Socket a;
    private final Socket b;
    private final Runnable onClose;
    private final AtomicInteger ended = new AtomicInteger();
    private final AtomicBoolean closed = new AtomicBoolean();

    private SocketBridge(Socket a, Socket b, Runnable onClose) {
        this.a = a;
        this.b = b;
        this.onClose = onClose;
    }

    /** Starts relaying between {@code a} and {@code b}; threads are named after {@code name}. */
    static void start(Socket a, Socket b, String name, Runnable onClose) {
        SocketBridge bridge = new SocketBridge(a, b, onClose);
        daemon(() -> bridge.copy(a, b), name + "-out").start();
        daemon(() -> bridge.copy(b, a), name + "-in").start();
    }

    /** A daemon thread running {@code r}, not yet started. */
    static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private void copy(Socket from, Socket to) {
        byte[] buf = new byte[BUFFER];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                out.write(buf, 0, n);
                out.flush();
            }
            to.shutdownOutput();
            if (ended.incrementAndGet() == 2) {
                close();
            }
        } catch (IOException e) {
            close();
        }
    }

    private void close() {
        if (closed.getAndSet(true)) {
            return;
        }
        closeQuietly(a);
        closeQuietly(b);
        onClose.run();
    }

    /** Closes {@code c}, ignoring a failure (there is nothing left to do with it). */
    static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // closing: nothing left to do
        }
    }
}
