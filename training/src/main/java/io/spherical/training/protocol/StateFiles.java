package io.spherical.training.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import io.spherical.training.checkpoint.Checkpoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * The protocol's JSON state files ({@code done.json}, {@code test.json}, {@code snapshots.json}). One that is empty
 * or does not parse as complete JSON (a copy cut short, a full disk, a file system that lost a write) is reported in
 * one status line, deleted, and read as absent, so that the protocol recomputes what it held.
 */
final class StateFiles {
    private StateFiles() {
    }

    /**
     * The value a state file holds; null when it does not exist, or when it is empty or truncated: then one line
     * naming it and saying what happens instead ({@code then}) goes to {@code status}, and the file is deleted.
     *
     * @throws IOException when the file cannot be read or deleted at all
     */
    static <T> T read(Path file, TypeReference<T> type, String then, Consumer<String> status) throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        String why;
        if (Files.size(file) == 0) {
            why = "0 bytes";
        } else {
            try {
                return Checkpoint.JSON.readValue(file.toFile(), type);
            } catch (com.fasterxml.jackson.core.exc.StreamReadException e) {
                why = oneLine(e.getOriginalMessage());              // cut short or not JSON: a crash mid-write
            } catch (com.fasterxml.jackson.databind.DatabindException e) {
                boolean cut = e.getCause() instanceof com.fasterxml.jackson.core.exc.StreamReadException
                        || e.getMessage() != null && e.getMessage().contains("end-of-input");
                if (!cut) {             // a whole file of another shape (another version's fields): never deleted
                    throw new io.spherical.api.UserException("State file " + file + " is whole JSON of another shape "
                            + "than this version writes (" + oneLine(e.getOriginalMessage()) + "). Fix: use the version "
                            + "that wrote it, or delete the file to recompute what it held.", e);
                }
                why = oneLine(e.getOriginalMessage());
            }
        }
        Files.deleteIfExists(file);
        status.accept("State file " + file + " is empty or truncated (" + why + "); " + then + ".");
        return null;
    }

    /** A parser's message on one short line. */
    private static String oneLine(String message) {
        String s = message == null ? "unreadable" : message.replaceAll("\\s+", " ").strip();
        return s.length() > 160 ? s.substring(0, 160) + "..." : s;
    }
}
