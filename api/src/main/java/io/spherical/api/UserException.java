package io.spherical.api;

/**
 * A problem the user can fix (missing corpus, bad flag, no backend, unreadable checkpoint, diverging training).
 *
 * <p>Its message is one line that names the problem and the fix; front ends print it without a stack trace and
 * exit with status 2. Anything else that escapes is a programming error.
 */
public class UserException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** A user error with its one-line message. */
    public UserException(String message) {
        super(message);
    }

    /** A user error with its one-line message and the underlying cause (shown only in verbose mode). */
    public UserException(String message, Throwable cause) {
        super(message, cause);
    }
}
