package io.spherical.api;

/** No compute backend can be used as asked; the message lists what was found and how to add or choose one. */
public class NoBackendException extends UserException {
    private static final long serialVersionUID = 1L;

    /** The exception with its full one-line explanation. */
    public NoBackendException(String message) {
        super(message);
    }
}
