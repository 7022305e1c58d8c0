package io.spherical.cli;

import io.spherical.api.UserException;
import java.io.PrintWriter;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * How a command shows its progress (a picocli mixin of {@code train} and {@code eval}): {@code --progress
 * auto|bar|plain}, {@code --progress-every SECONDS} and {@code --quiet}. See {@link Progress}.
 */
final class ProgressOptions {
    @Option(names = "--progress", paramLabel = "auto|bar|plain", defaultValue = "auto",
            description = "bar: a progress bar redrawn in place; plain: one line every --progress-every seconds (examples "
                    + "done, examples/s, loss, ETA), for logs; auto: a bar on a terminal, plain lines when the output is "
                    + "redirected (default: ${DEFAULT-VALUE})")
    String progress = "auto";
    @Option(names = "--progress-every", paramLabel = "SECONDS", defaultValue = "10",
            description = "seconds between plain progress lines (default: ${DEFAULT-VALUE})")
    double every = 10;
    @Option(names = "--quiet", description = "no progress lines (status lines, results and errors still print)")
    boolean quiet;

    /** The form of progress the options ask for; {@code auto} looks at the terminal. */
    Progress.Mode mode() {
        if (quiet) {
            return Progress.Mode.QUIET;
        }
        switch (progress.toLowerCase(Locale.ROOT)) {
            case "auto":
                return Progress.Mode.auto();
            case "bar":
                return Progress.Mode.BAR;
            case "plain":
                return Progress.Mode.PLAIN;
            default:
                throw new UserException("--progress must be auto, bar or plain, got '" + progress + "'.");
        }
    }

    /** The period of plain progress lines in nanoseconds. */
    long periodNanos() {
        if (!(every > 0) || Double.isInfinite(every)) {
            throw new UserException("--progress-every must be a positive number of seconds, got " + every + ".");
        }
        return Math.max(1L, (long) (every * 1e9));
    }

    /** The progress these options describe; status and plain progress lines go to {@code out}. */
    Progress open(PrintWriter out) {
        return new Progress(out, mode(), periodNanos(), System::nanoTime);
    }
}
