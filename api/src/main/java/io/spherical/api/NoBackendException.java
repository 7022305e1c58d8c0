package io.spherical.api;

/**
 * No compute backend can be used as asked; the message lists what was found and how to add or choose one, in Java
 * ({@code BackendDiscovery.discover().create(NAME)}), on the command line ({@code --backend NAME}) and through the
 * system property or environment variable, so that library and command-line users alike can act on it.
 */
public class NoBackendException extends UserException {
    private static final long serialVersionUID = 1L;

    /** The exception with its full one-line explanation. */
    public NoBackendException(String message) {
        super(message);
    }
}
