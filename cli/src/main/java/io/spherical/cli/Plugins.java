package io.spherical.cli;

import io.spherical.api.UserException;
import java.io.File;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The plugin jars of a command: every {@code .jar} file in the directories of {@code --plugins DIR} (or, when the
 * option is absent, of the environment variable {@code SPHERICAL_PLUGINS}), several directories separated by the
 * platform's path separator. They are opened in one class loader whose parent is the command's own, made the thread's
 * context class loader while the command runs: the losses, optimizers, backends and collective libraries found with
 * {@link java.util.ServiceLoader} then include theirs. {@link #close()} restores the previous context class loader.
 *
 * <p>The directories are read before the command line is parsed, because {@code train} grows one option per
 * hyperparameter of every discovered loss (a plugin's {@code --margin}).
 */
final class Plugins implements AutoCloseable {
    /** The option. */
    static final String OPTION = "--plugins";
    /** The environment variable read when the option is absent. */
    static final String ENV = "SPHERICAL_PLUGINS";

    private final List<Path> jars;
    private final URLClassLoader loader;
    private final ClassLoader previous;

    private Plugins(List<Path> jars, URLClassLoader loader, ClassLoader previous) {
        this.jars = List.copyOf(jars);
        this.loader = loader;
        this.previous = previous;
    }

    /**
     * The plugin jars the arguments ask for (every {@code --plugins DIR} or {@code --plugins=DIR} before a {@code --}),
     * or else {@code env}'s, loaded and made the context class loader; no plugin (and nothing changed) when neither
     * names a directory.
     *
     * @throws UserException for a directory that does not exist or holds no jar
     */
    static Plugins install(String[] args, String env) {
        List<String> given = fromArguments(args);
        String source = given.isEmpty() ? ENV : OPTION;
        List<String> dirs = given.isEmpty() ? split(env) : given.stream().flatMap(d -> split(d).stream()).toList();
        List<Path> jars = jars(dirs, source);
        Thread t = Thread.currentThread();
        ClassLoader previous = t.getContextClassLoader();
        if (jars.isEmpty()) {
            return new Plugins(jars, null, previous);
        }
        URL[] urls = new URL[jars.size()];
        for (int i = 0; i < urls.length; i++) {
            try {
                urls[i] = jars.get(i).toUri().toURL();
            } catch (MalformedURLException e) {
                throw new UserException("The plugin jar " + jars.get(i) + " cannot be opened (" + e.getMessage()
                        + "). Fix: move it to a plain local directory.", e);
            }
        }
        URLClassLoader loader = new URLClassLoader("spherical-plugins", urls,
                previous != null ? previous : Plugins.class.getClassLoader());
        t.setContextClassLoader(loader);
        return new Plugins(jars, loader, previous);
    }

    /** The values of every {@code --plugins} in {@code args}, in order (none after a {@code --}). */
    static List<String> fromArguments(String[] args) {
        List<String> dirs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--")) {
                break;
            }
            if (a.equals(OPTION) && i + 1 < args.length) {
                dirs.add(args[++i]);
            } else if (a.startsWith(OPTION + "=")) {
                dirs.add(a.substring(OPTION.length() + 1));
            }
        }
        return dirs;
    }

    /**
     * Every {@code .jar} file of the directories, sorted by name within each directory, without repeats; a name that
     * is itself a jar file counts as that jar.
     *
     * @param source where the directories were named ({@code --plugins} or {@code SPHERICAL_PLUGINS}), for messages
     * @throws UserException for a directory that does not exist or holds no jar
     */
    static List<Path> jars(List<String> dirs, String source) {
        Set<Path> all = new LinkedHashSet<>();
        for (String d : dirs) {
            Path dir;
            try {
                dir = Path.of(d).toAbsolutePath().normalize();
            } catch (InvalidPathException e) {
                throw new UserException("The plugin directory '" + d + "' (" + source + ") is not a valid path. Fix: "
                        + "pass " + OPTION + " with the directory that holds the plugin jars.", e);
            }
            if (Files.isRegularFile(dir) && isJar(dir)) {
                all.add(dir);
                continue;
            }
            if (!Files.isDirectory(dir)) {
                throw new UserException("The plugin directory " + d + " (" + source + ") " + (Files.exists(dir)
                        ? "is neither a directory nor a .jar file" : "does not exist") + ". Fix: pass "
                        + OPTION + " with the directory that holds the plugin jars (or set " + ENV + " to it).");
            }
            List<Path> found;
            try (Stream<Path> s = Files.list(dir)) {
                found = s.filter(p -> isJar(p) && Files.isRegularFile(p)).sorted().toList();
            } catch (IOException e) {
                throw new UserException("The plugin directory " + d + " (" + source + ") cannot be read ("
                        + e.getMessage() + "). Fix: check its permissions.", e);
            }
            if (found.isEmpty()) {
                throw new UserException("The plugin directory " + d + " (" + source + ") holds no .jar file. Fix: "
                        + "build the plugin (mvn package) and pass the directory of its jar.");
            }
            all.addAll(found);
        }
        return new ArrayList<>(all);
    }

    private static boolean isJar(Path p) {
        return p.getFileName() != null && p.getFileName().toString().endsWith(".jar");
    }

    /** The non-empty entries of a path list separated by {@link File#pathSeparator}; none for null. */
    private static List<String> split(String dirs) {
        if (dirs == null) {
            return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String d : dirs.split(File.pathSeparator)) {
            if (!d.isBlank()) {
                out.add(d.strip());
            }
        }
        return out;
    }

    /** The jars loaded, in class-loading order; empty when there is no plugin. */
    List<Path> jars() {
        return jars;
    }

    /** Restores the previous context class loader and closes the plugins' (their classes stay usable). */
    @Override
    public void close() {
        if (loader == null) {
            return;
        }
        Thread.currentThread().setContextClassLoader(previous);
        try {
            loader.close();
        } catch (IOException e) {
            // the jars stay open until exit; nothing is lost
        }
    }
}
