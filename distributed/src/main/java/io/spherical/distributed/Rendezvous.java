package io.spherical.distributed;

import io.spherical.api.UserException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;

/**
 * How the rendezvous of a Gloo group fails: always in one line that names the master's address and the fix, never
 * with the native library's text, which runs over dozens of lines (the C++ exception, then "Exception raised from
 * ..." and a "frame #N" line per native frame). The master's host is resolved in Java before the native store is
 * asked, so that an unknown host is named as such at once instead of after the group timeout; a token that rank 0's
 * admission gate refuses, a gate nobody answers at, and a gate address rank 0 cannot listen on are ours too.
 * Loads no native code.
 */
final class Rendezvous {
    /** The longest native reason kept in a message (the first line of a c10d message is a sentence). */
    static final int MAX_REASON = 240;
    /** The fix when the workers do not meet. */
    static final String START_EVERY_WORKER = "start every worker with the same --world-size and --master HOST:PORT, "
            + "where HOST:PORT is rank 0's address and reachable from this machine, rank 0 first or within "
            + "--group-timeout.";
    /** The fix when the tokens differ. */
    static final String TOKEN_FIX = "give every worker the same --group-token-file or SPHERICAL_GROUP_TOKEN.";

    private Rendezvous() {
    }

    /** Refuses, in one line, a master host that does not resolve (a typing error, or a name unknown here). */
    static void requireResolvable(String host) {
        try {
            InetAddress.getByName(host);
        } catch (UnknownHostException | SecurityException e) {
            throw new UserException("Cannot resolve the master host '" + host + "' (--master / MASTER_ADDR). Fix: give "
                    + "the name or IP address of the machine where rank 0 runs, as every worker's machine can resolve "
                    + "it, for example --master 10.0.0.1:29500.");
        }
    }

    /**
     * The one-line refusal of a worker that could not join the group at {@code host:port}: the native reason cut to
     * its first line ({@link #oneLine}) and the fix that fits it (a port in use for rank 0, else start rank 0 first or
     * check the address).
     */
    static UserException joinFailed(int rank, int size, String host, int port, Duration timeout, RuntimeException e) {
        String reason = oneLine(e.getMessage());
        String lower = reason.toLowerCase(Locale.ROOT);
        String fix = lower.contains("address already in use") || lower.contains("errno: 98")
                ? inUse(port) : START_EVERY_WORKER;
        return new UserException("Worker " + rank + " of " + size + " could not join the group at " + host + ":" + port
                + " within " + timeout.toSeconds() + " s: " + reason + ". Fix: " + fix, e);
    }

    /**
     * The one-line refusal of a worker whose token rank 0's gate at {@code host:port} did not admit (or whose peer
     * there did not prove the token), {@code reason} the handshake's.
     */
    static UserException refused(int rank, int size, String host, int port, String reason) {
        String where = host + ":" + port;
        return new UserException(GateHandshake.WRONG_TOKEN.equals(reason)
                ? "Worker " + rank + " of " + size + ": rank 0 at " + where + " refused this worker's group token. Fix: "
                        + TOKEN_FIX
                : "Worker " + rank + " of " + size + ": the process at " + where + " did not admit this worker ("
                        + oneLine(reason) + "). Fix: check that --master names rank 0, and " + TOKEN_FIX);
    }

    /**
     * The one-line failure of a worker that found no gate admitting it at {@code host:port} within {@code timeout}:
     * nobody listening, no route, or a peer that broke off the handshake ({@code last}, the last attempt's error).
     */
    static UserException unreachable(int rank, int size, String host, int port, Duration timeout, IOException last) {
        String reason = last instanceof ConnectException ? "nobody listens there (connection refused)"
                : last instanceof NoRouteToHostException ? "no route to that host"
                : last instanceof SocketTimeoutException ? "no answer (the connection timed out)"
                : last instanceof UnknownHostException ? "the host does not resolve"
                : last == null ? "no attempt was made"
                : "the admission handshake failed (" + oneLine(last.getMessage()) + ")";
        return new UserException("Worker " + rank + " of " + size + " could not join the group at " + host + ":" + port
                + " within " + timeout.toSeconds() + " s: " + reason + ". Fix: " + START_EVERY_WORKER, last);
    }

    /**
     * The one-line failure of rank 0 that cannot listen on {@code host:port} ({@code at}, the address it tried).
     */
    static UserException cannotListen(String host, int port, java.net.InetSocketAddress at, IOException e) {
        String reason = oneLine(e.getMessage());
        String lower = reason.toLowerCase(Locale.ROOT);
        String fix = lower.contains("in use") ? inUse(port)
                : "run rank 0 on the machine that --master names, or give --bind with one of this machine's addresses "
                        + "(--bind 0.0.0.0: every interface).";
        return new UserException("Rank 0 cannot listen for the group on " + at.getAddress().getHostAddress() + ":"
                + port + " (--master " + host + ":" + port + "): " + reason + ". Fix: " + fix, e);
    }

    private static String inUse(int port) {
        return "choose a free port for --master (or MASTER_PORT) on rank 0's machine; another process listens on "
                + port + ".";
    }

    /**
     * The first meaningful line of a native exception's message, without the trace PyTorch appends to it ("Exception
     * raised from ...", "frame #0: ...") and without a closing period, at most {@link #MAX_REASON} characters;
     * "no reason given" when there is none.
     */
    static String oneLine(String nativeMessage) {
        if (nativeMessage == null) {
            return "no reason given";
        }
        String first = "";
        for (String line : nativeMessage.split("\\R")) {
            String t = line.strip();
            if (t.startsWith("Exception raised from") || t.startsWith("frame #")) {
                break;
            }
            if (!t.isEmpty()) {
                first = t;
                break;
            }
        }
        int trace = first.indexOf("Exception raised from");
        if (trace >= 0) {
            first = first.substring(0, trace).strip();
        }
        while (first.endsWith(".")) {
            first = first.substring(0, first.length() - 1).strip();
        }
        if (first.length() > MAX_REASON) {
            first = first.substring(0, MAX_REASON - 3).strip() + "...";
        }
        return first.isEmpty() ? "no reason given" : first;
    }
}
