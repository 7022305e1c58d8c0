package io.spherical.api;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;

/**
 * Where and how a worker meets its data-parallel group: rank 0's address {@code host:port} (port 0 lets rank 0's
 * operating system pick a free port, which rank 0 then writes to {@code portFile} for the local launcher that started
 * it), the address rank 0 listens on ({@code bind}; null for {@code host}'s own, {@code 0.0.0.0} for every interface),
 * the group token that admits a worker (null only for a group of one process), and how long to wait for the others.
 *
 * <p>Immutable: the token is copied in and out, and {@link #toString()} shows its length, never its bytes.
 */
public record GroupAddress(String host, int port, String bind, byte[] token, Duration timeout, Path portFile) {
    /**
     * The environment variable naming the file where rank 0 writes the port its admission gate got (for
     * {@code --master HOST:0}); set by the local launcher ({@code train --workers N}) for rank 0 only.
     */
    public static final String PORT_FILE_ENV = "SPHERICAL_PORT_FILE";

    /** Copies the token; host and timeout must be given. */
    public GroupAddress {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(timeout, "timeout");
        token = token == null ? null : token.clone();
    }

    /** The address of a group of one process: nobody to meet, no token. */
    public static GroupAddress single() {
        return new GroupAddress("127.0.0.1", 0, null, null, Duration.ZERO, null);
    }

    /** A copy of the group token, or null when there is none. */
    @Override
    public byte[] token() {
        return token == null ? null : token.clone();
    }

    /** Whether a non-empty token was given. */
    public boolean hasToken() {
        return token != null && token.length > 0;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GroupAddress a && host.equals(a.host) && port == a.port && Objects.equals(bind, a.bind)
                && Arrays.equals(token, a.token) && timeout.equals(a.timeout) && Objects.equals(portFile, a.portFile);
    }

    @Override
    public int hashCode() {
        return Objects.hash(host, port, bind, Arrays.hashCode(token), timeout, portFile);
    }

    /** Every field but the token's bytes. */
    @Override
    public String toString() {
        return "GroupAddress[host=" + host + ", port=" + port + ", bind=" + bind + ", token="
                + (token == null ? "none" : "(" + token.length + " bytes, not shown)") + ", timeout=" + timeout
                + ", portFile=" + portFile + "]";
    }
}
