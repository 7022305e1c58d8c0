package io.spherical.distributed;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The admission handshake of a group's rendezvous: a mutual HMAC-SHA256 challenge-response keyed by the group token,
 * spoken by rank 0's {@link AdmissionGate} (the server) and by the other workers (the client, through
 * {@link GateRelay}). The token never crosses the network, and each side proves it holds the token.
 *
 * <p>Protocol {@value #TAG}, on a fresh TCP connection:
 * <ol>
 * <li>client to server: {@link #MAGIC} (8 bytes), the purpose (1 byte: {@link #STORE}, a connection for the
 * rendezvous store, or {@link #PROBE}, a check that is closed once admitted), a nonce Nc (32 bytes of
 * {@link SecureRandom});</li>
 * <li>server to client: a nonce Ns (32 bytes), then MACs = HMAC-SHA256(token, "spherical-rendezvous-v1|server|P|"
 * Nc Ns), P the purpose byte;</li>
 * <li>client to server: MACc = HMAC-SHA256(token, "spherical-rendezvous-v1|client|P|" Nc Ns), sent even when MACs
 * is wrong, so that the server learns (and says) that the tokens differ;</li>
 * <li>server to client: one ASCII line, {@code OK} when MACc is right, else {@code REFUSED: <reason>} (the server then
 * closes). After {@code OK} the connection carries the store's bytes unchanged.</li>
 * </ol>
 * MACs are compared with {@link MessageDigest#isEqual} (constant time). Both nonces are fresh on every connection,
 * so a MAC recorded from one connection is worthless on another, and the role in the MAC input keeps a server's
 * MAC from being replayed as a client's. Each side reads with a timeout ({@link #TIMEOUT} by default) until the
 * handshake ends, so that a silent peer cannot hold it forever. Thread safe.
 */
final class GateHandshake {
    /** The protocol's name and version, first in every MAC input. */
    static final String TAG = "spherical-rendezvous-v1";
    /** The first bytes a client sends. */
    static final byte[] MAGIC = "SPHRDV1\n".getBytes(StandardCharsets.US_ASCII);
    /** A connection for the rendezvous store, relayed once admitted. */
    static final byte STORE = 'S';
    /** A check of the token, closed once admitted. */
    static final byte PROBE = 'P';
    static final int NONCE_BYTES = 32;
    static final int MAC_BYTES = 32;
    /** The server's answer to an admitted client. */
    static final String OK = "OK";
    /** The prefix of the server's answer to a refused client. */
    static final String REFUSED = "REFUSED: ";
    static final String WRONG_TOKEN = "wrong group token";
    static final String NOT_A_WORKER = "not a spherical worker";
    /** How long each side waits for the other's next message during the handshake. */
    static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final int MAX_LINE = 200;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] token;
    private final int timeoutMs;

    GateHandshake(byte[] token) {
        this(token, TIMEOUT);
    }

    GateHandshake(byte[] token, Duration timeout) {
        if (token == null || token.length == 0) {
            throw new IllegalArgumentException("a group token is needed");
        }
        this.token = token.clone();
        this.timeoutMs = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    }

    /** The handshake's read timeout in milliseconds. */
    int timeoutMillis() {
        return timeoutMs;
    }

    /**
     * The server's side on an accepted connection: returns the purpose ({@link #STORE} or {@link #PROBE}) once the
     * client has proved the token and been told {@code OK}; otherwise tells the client {@code REFUSED: <reason>} and
     * throws {@link Refused} with that reason. A silent client ends in a {@link java.net.SocketTimeoutException}.
     */
    byte admit(Socket s) throws IOException {
        s.setSoTimeout(timeoutMs);
        DataInputStream in = new DataInputStream(s.getInputStream());
        OutputStream out = s.getOutputStream();
        byte[] magic = new byte[MAGIC.length];
        in.readFully(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw refuse(out, NOT_A_WORKER);
        }
        byte purpose = in.readByte();
        if (purpose != STORE && purpose != PROBE) {
            throw refuse(out, NOT_A_WORKER);
        }
        byte[] nc = new byte[NONCE_BYTES];
        in.readFully(nc);
        byte[] ns = nonce();
        out.write(concat(ns, mac("server", purpose, nc, ns)));
        out.flush();
        byte[] theirs = new byte[MAC_BYTES];
        in.readFully(theirs);
        if (!MessageDigest.isEqual(theirs, mac("client", purpose, nc, ns))) {
            throw refuse(out, WRONG_TOKEN);
        }
        out.write((OK + "\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        s.setSoTimeout(0);
        return purpose;
    }

    /**
     * The client's side on a connection to the gate, for {@code purpose}: returns once admitted (the connection then
     * carries the store's bytes); throws {@link Refused} when the server refuses (its reason) or does not prove the
     * token, and an {@link IOException} when the connection fails or the peer does not speak this protocol.
     */
    void join(Socket s, byte purpose) throws IOException {
        s.setSoTimeout(timeoutMs);
        OutputStream out = s.getOutputStream();
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] nc = nonce();
        byte[] hello = Arrays.copyOf(MAGIC, MAGIC.length + 1 + NONCE_BYTES);
        hello[MAGIC.length] = purpose;
        System.arraycopy(nc, 0, hello, MAGIC.length + 1, NONCE_BYTES);
        out.write(hello);
        out.flush();
        byte[] ns = new byte[NONCE_BYTES];
        byte[] theirs = new byte[MAC_BYTES];
        in.readFully(ns);
        in.readFully(theirs);
        boolean serverProved = MessageDigest.isEqual(theirs, mac("server", purpose, nc, ns));
        out.write(mac("client", purpose, nc, ns));
        out.flush();
        String answer = readLine(in);
        if (answer.startsWith(REFUSED)) {
            throw new Refused(answer.substring(REFUSED.length()));
        }
        if (!answer.equals(OK)) {
            throw new IOException("the peer answered '" + answer + "', not a spherical rendezvous");
        }
        if (!serverProved) {
            throw new Refused("the peer did not prove the group token");
        }
        s.setSoTimeout(0);
    }

    /**
     * HMAC-SHA256 keyed by the token of {@value #TAG}{@code |role|purpose|} followed by both nonces. Package-private
     * for the tests.
     */
    byte[] mac(String role, byte purpose, byte[] nc, byte[] ns) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(new SecretKeySpec(token, "HmacSHA256"));
            m.update((TAG + "|" + role + "|" + (char) purpose + "|").getBytes(StandardCharsets.US_ASCII));
            m.update(nc);
            m.update(ns);
            return m.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM lacks HmacSHA256", e);
        }
    }

    /** A fresh nonce. */
    static byte[] nonce() {
        byte[] n = new byte[NONCE_BYTES];
        RANDOM.nextBytes(n);
        return n;
    }

    /** Tells the peer it is refused and why; the exception to throw. */
    private static Refused refuse(OutputStream out, String reason) {
        try {
            out.write((REFUSED + reason + "\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException e) {
            // the peer is gone: the refusal is still logged
        }
        return new Refused(reason);
    }

    /**
     * One line of at most {@value #MAX_LINE} bytes, read byte by byte (so that nothing after it is consumed), without
     * its line end, non-printable characters replaced by '?'.
     */
    static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        for (int n = 0; n < MAX_LINE; n++) {
            int c = in.read();
            if (c < 0) {
                if (b.length() == 0) {
                    throw new EOFException("the connection closed before an answer");
                }
                break;
            }
            if (c == '\n') {
                break;
            }
            if (c == '\r') {
                continue;
            }
            b.append(c >= 0x20 && c < 0x7F ? (char) c : '?');
        }
        return b.toString().strip();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** A refused handshake, with its one-line reason. */
    static final class Refused extends IOException {
        private static final long serialVersionUID = 1L;
        private final String reason;

        Refused(String reason) {
            super(reason);
            this.reason = reason;
        }

        String reason() {
            return reason;
        }
    }
}
