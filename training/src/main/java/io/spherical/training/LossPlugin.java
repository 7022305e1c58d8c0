package io.spherical.training;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spherical.api.SphericalLoss;
import io.spherical.api.UserException;
import io.spherical.api.spi.Services;
import io.spherical.models.loss.LossRegistry;
import io.spherical.training.checkpoint.Checkpoint;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The plugin jar a run's loss came from, when the loss is not built in: the loss's name, the jar's file name and its
 * SHA-256. A run records it as {@code "plugin": {"loss", "jar", "sha256"}} in its checkpoint's manifest and in
 * run.json, so that a command on the run without that jar names the jar it needs in one line rather than reporting
 * an unknown loss. A built-in loss (loaded from the same jar or folder as {@link LossRegistry}) and a loss loaded
 * from a class folder record nothing; runs written before plugins were recorded load as before.
 *
 * @param loss   the loss's name
 * @param jar    the jar's file name
 * @param sha256 the jar's SHA-256, lower-case hex
 */
public record LossPlugin(String loss, String jar, String sha256) {
    /** The field of a run's record (the checkpoint's manifest, run.json) that holds it. */
    public static final String FIELD = "plugin";

    /** Checksums already computed, by file version (path, size, modification time). */
    private static final Map<String, String> SUMS = new ConcurrentHashMap<>();

    /** The plugin jar {@code loss} was loaded from; empty for a built-in loss or one loaded from a class folder. */
    public static Optional<LossPlugin> of(SphericalLoss loss) {
        Path jar = Services.jarOf(loss.getClass()).orElse(null);
        if (jar == null || jar.equals(Services.jarOf(LossRegistry.class).orElse(null))) {
            return Optional.empty();
        }
        return Optional.of(new LossPlugin(loss.name(), jar.getFileName().toString(), sha256(jar)));
    }

    /** The plugin a run's record names; empty when it names none (a built-in loss, or a run written before). */
    public static Optional<LossPlugin> recorded(JsonNode record) {
        JsonNode p = record == null ? null : record.get(FIELD);
        if (p == null || !p.isObject() || p.path("loss").asText("").isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new LossPlugin(p.path("loss").asText(), p.path("jar").asText("?"),
                p.path("sha256").asText("?")));
    }

    /**
     * Checks, before a saved run's loss is created, that the plugin its record names is loaded: a run trained with a
     * plugin loss is refused in one line naming the loss and the jar when no loaded loss has that name. A loss of that
     * name from another jar (another checksum) is used, with a warning.
     *
     * @param record the run's record (the checkpoint's manifest or run.json)
     * @return the one-line warning when the loaded loss does not come from the recorded jar, else empty
     * @throws UserException when the recorded plugin's loss is not loaded
     */
    public static Optional<String> requireLoaded(JsonNode record, LossRegistry losses) {
        Optional<LossPlugin> wanted = recorded(record);
        if (wanted.isEmpty()) {
            return Optional.empty();
        }
        LossPlugin p = wanted.get();
        Optional<SphericalLoss> found = losses.all().stream().filter(l -> l.name().equalsIgnoreCase(p.loss()))
                .findFirst();
        if (found.isEmpty()) {
            throw new UserException("The run's loss '" + p.loss() + "' comes from the plugin jar " + p.jar()
                    + " (sha256 " + p.sha256() + "), which is not loaded. Fix: pass --plugins DIR (or set "
                    + "SPHERICAL_PLUGINS) with that jar.");
        }
        Optional<LossPlugin> now = of(found.get());
        if (now.isPresent() && now.get().sha256().equals(p.sha256())) {
            return Optional.empty();
        }
        return Optional.of("Warning: the run's loss '" + p.loss() + "' was trained with the plugin jar " + p.jar()
                + " (sha256 " + p.sha256() + "), but the loaded one comes from " + now.map(n -> "the jar " + n.jar()
                + " (sha256 " + n.sha256() + ")").orElse("no plugin jar (built in, or a class folder)")
                + "; it is used as it is.");
    }

    /** This plugin as the JSON object a run's record holds. */
    public ObjectNode toJson() {
        ObjectNode n = Checkpoint.JSON.createObjectNode();
        n.put("loss", loss);
        n.put("jar", jar);
        n.put("sha256", sha256);
        return n;
    }

    /** The SHA-256 of a file, lower-case hex, computed once per version of the file; "unreadable" when it is not. */
    public static String sha256(Path file) {
        String key;
        try {
            key = file.toAbsolutePath().normalize() + "|" + Files.size(file) + "|"
                    + Files.getLastModifiedTime(file).toMillis();
        } catch (IOException e) {
            return "unreadable";
        }
        return SUMS.computeIfAbsent(key, k -> digest(file));
    }

    private static String digest(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            return "unreadable";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
