package io.spherical.api.spi;

import java.net.URISyntaxException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/** ServiceLoader iteration that survives broken entries: each one that fails to load is reported, the rest load. */
public final class Services {
    private Services() {
    }

    /**
     * The class loader services are found with: the thread's context class loader (the command sets it to one that
     * also sees the jars of {@code --plugins}), else {@code fallback}'s own.
     */
    public static ClassLoader pluginLoader(Class<?> fallback) {
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        return cl != null ? cl : fallback.getClassLoader();
    }

    /** The jar file {@code type} was loaded from; empty for a class folder or an origin that is not a local file. */
    public static Optional<Path> jarOf(Class<?> type) {
        try {
            CodeSource cs = type.getProtectionDomain().getCodeSource();
            if (cs == null || cs.getLocation() == null) {
                return Optional.empty();
            }
            Path p = Path.of(cs.getLocation().toURI()).toAbsolutePath().normalize();
            return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
        } catch (URISyntaxException | IllegalArgumentException | FileSystemNotFoundException | SecurityException e) {
            return Optional.empty();
        }
    }

    /** Every provider of {@code type} visible to {@code loader}; one message per failed entry goes to {@code failures}. */
    public static <T> List<T> load(Class<T> type, ClassLoader loader, List<String> failures) {
        List<T> found = new ArrayList<>();
        Iterator<T> it = ServiceLoader.load(type, loader).iterator();
        while (true) {
            try {
                if (!it.hasNext()) {
                    break;
                }
                found.add(it.next());
            } catch (ServiceConfigurationError | LinkageError e) {
                failures.add(e.getMessage() == null ? e.toString() : e.getMessage());
            }
        }
        return found;
    }
}
