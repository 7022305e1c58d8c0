package io.spherical.api.spi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The root tensors a backend has created and not yet released, with their bytes: what {@code allocatedBytes()}
 * reports, and what {@code close()} releases, so that closing a backend frees all its memory. After
 * {@link #closeAll()} the backend refuses further work.
 */
public final class LiveTensors {
    private final String backend;
    private final Set<ViewTensor<?>> roots = Collections.newSetFromMap(new IdentityHashMap<>());
    private long bytes;
    private boolean closed;

    /** The live tensors of the named backend (the name goes into the error after close). */
    public LiveTensors(String backend) {
        this.backend = backend;
    }

    /** Throws when the backend has been closed. */
    public void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the " + backend + " backend is closed");
        }
    }

    /** A root tensor of {@code size} bytes was created. */
    public void added(ViewTensor<?> root, long size) {
        requireOpen();
        roots.add(root);
        bytes += size;
    }

    /** A root tensor of {@code size} bytes was released (by its close or by {@link #closeAll()}). */
    public void released(ViewTensor<?> root, long size) {
        if (roots.remove(root)) {
            bytes -= size;
        }
    }

    /** Bytes held by live tensors. */
    public long bytes() {
        return bytes;
    }

    /** Whether {@link #closeAll()} has run. */
    public boolean closed() {
        return closed;
    }

    /** Closes every live tensor (their views with them) and marks the backend closed. */
    public void closeAll() {
        closed = true;
        for (ViewTensor<?> t : new ArrayList<>(roots)) {
            t.close();
        }
    }
}
