package io.spherical.api;

import io.spherical.api.spi.Services;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The one place where a compute backend is chosen.
 *
 * <p>Order of precedence: an explicit name (a command-line flag or a dependency-injection binding) &gt; the system
 * property {@value #PROPERTY} &gt; the environment variable {@value #ENV} &gt; the available provider with the
 * highest {@link BackendProvider#priority()}, ties broken by name. Providers are found with the thread's context class
 * loader (else the api's own) unless the caller passes another; a provider that fails to load is skipped and reported, never fatal.
 */
public final class BackendDiscovery {

    /** System property that forces a backend by name. */
    public static final String PROPERTY = "spherical.backend";
    /** Environment variable that forces a backend by name. */
    public static final String ENV = "SPHERICAL_BACKEND";

    private static final System.Logger LOG = System.getLogger(BackendDiscovery.class.getName());
    private static final String HOW_TO_ADD = "add a backend module to the classpath (io.spherical:spherical-backend-nd4j"
            + " for CPUs, io.spherical:spherical-backend-opencl for OpenCL devices)";
    private static final String HOW_TO_CHOOSE = "BackendDiscovery.discover().create(NAME) in Java, --backend NAME on the"
            + " command line, or -D" + PROPERTY + "=NAME / " + ENV + "=NAME for either";

    private final List<Candidate> candidates;
    private final List<String> loadFailures;

    /** A provider that loaded, with its probe taken once. */
    public static final class Candidate {
        private final BackendProvider provider;
        private Probe probe;

        Candidate(BackendProvider provider) {
            this.provider = provider;
        }

        /** The provider. */
        public BackendProvider provider() {
            return provider;
        }

        /** The provider's probe, computed on first use; a probe that throws counts as unavailable. */
        public synchronized Probe probe() {
            if (probe == null) {
                try {
                    probe = provider.probe();
                } catch (RuntimeException | LinkageError e) {
                    probe = Probe.unavailable("probe failed: " + e);
                }
            }
            return probe;
        }

        /** One line: name, priority, availability and detail. */
        public String describe() {
            Probe p = probe();
            return provider.name() + " (priority " + provider.priority() + "): "
                    + (p.available() ? "available, " : "unavailable, ") + p.detail();
        }
    }

    /** How a backend was chosen: the candidate and the rule that picked it. */
    public record Selection(Candidate candidate, String reason) {
    }

    private BackendDiscovery(List<Candidate> candidates, List<String> loadFailures) {
        this.candidates = List.copyOf(candidates);
        this.loadFailures = List.copyOf(loadFailures);
    }

    /**
     * Discovers providers with the thread's context class loader (which sees the jars of the command's
     * {@code --plugins}), else the api's own.
     */
    public static BackendDiscovery discover() {
        return discover(Services.pluginLoader(BackendDiscovery.class));
    }

    /** Discovers providers visible to {@code loader}; entries that fail to load are recorded, not thrown. */
    public static BackendDiscovery discover(ClassLoader loader) {
        List<String> failures = new ArrayList<>();
        List<Candidate> found = new ArrayList<>();
        for (BackendProvider p : Services.load(BackendProvider.class, loader, failures)) {
            found.add(new Candidate(p));
        }
        failures.forEach(f -> LOG.log(System.Logger.Level.WARNING, "Skipping a backend provider that failed to load: " + f));
        found.sort(Comparator.comparing(c -> c.provider().name()));
        return new BackendDiscovery(found, failures);
    }

    /** Every provider that loaded, sorted by name. */
    public List<Candidate> candidates() {
        return candidates;
    }

    /** One message per services entry that could not be loaded. */
    public List<String> loadFailures() {
        return loadFailures;
    }

    /** The names of the providers that loaded, sorted. */
    public List<String> names() {
        return candidates.stream().map(c -> c.provider().name()).toList();
    }

    /**
     * Chooses a backend from the real system property and environment, without creating it (every provider's cheap
     * probe runs; OpenCL's loads JOCL to list the devices).
     *
     * @param explicit a provider name that forces the choice, or {@code null} (or blank) for "no explicit choice":
     *                 then {@value #PROPERTY}, then {@value #ENV}, then the highest priority decide
     * @throws NoBackendException when the named backend is unknown or unusable, or nothing is available
     */
    public Selection select(String explicit) {
        return select(explicit, System::getProperty, System.getenv());
    }

    /**
     * Chooses a backend. {@code explicit} may be null or blank; {@code properties} and {@code env} are the sources
     * of the forced name (passed in so that tests need not mutate the process).
     *
     * @throws NoBackendException when the forced name is unknown or unusable, or when no provider is available
     */
    public Selection select(String explicit, Function<String, String> properties, Map<String, String> env) {
        String forced = null;
        String source = null;
        if (explicit != null && !explicit.isBlank()) {
            forced = explicit.trim();
            source = "explicit choice";
        } else if (nonBlank(properties.apply(PROPERTY))) {
            forced = properties.apply(PROPERTY).trim();
            source = "system property " + PROPERTY;
        } else if (nonBlank(env.get(ENV))) {
            forced = env.get(ENV).trim();
            source = "environment variable " + ENV;
        }
        if (forced != null) {
            String name = forced;
            Optional<Candidate> match = candidates.stream().filter(c -> c.provider().name().equalsIgnoreCase(name)).findFirst();
            if (match.isEmpty()) {
                throw new NoBackendException("Unknown backend '" + forced + "' (from " + source + "). Known backends: "
                        + (candidates.isEmpty() ? "none" : String.join(", ", names())) + loadFailureSuffix()
                        + ". Fix: choose one of the known names (" + HOW_TO_CHOOSE + "), or " + HOW_TO_ADD + ".");
            }
            Probe p = match.get().probe();
            if (!p.available()) {
                throw new NoBackendException("Backend '" + forced + "' (from " + source + ") is not available: "
                        + p.detail() + ". Fix: resolve that, or choose another backend (" + summary() + ").");
            }
            return logged(new Selection(match.get(), source));
        }
        Optional<Candidate> best = candidates.stream()
                .filter(c -> c.probe().available())
                .max(Comparator.<Candidate>comparingInt(c -> c.provider().priority())
                        .thenComparing(c -> c.provider().name(), Comparator.reverseOrder()));
        if (best.isEmpty()) {
            throw new NoBackendException("No usable compute backend. Providers found: "
                    + (candidates.isEmpty() ? "none" : summary()) + loadFailureSuffix()
                    + ". Fix: " + HOW_TO_ADD + ", or choose one by name: " + HOW_TO_CHOOSE + ".");
        }
        return logged(new Selection(best.get(), "highest priority among available providers"));
    }

    /**
     * Chooses as {@link #select(String)} and creates the backend; the caller owns it and closes it after every tensor
     * and layer made with it.
     *
     * @param explicit a provider name, or {@code null} for "no explicit choice" (see {@link #select(String)})
     * @throws NoBackendException when the named backend is unknown or unusable, or nothing is available
     */
    public Backend create(String explicit) {
        return select(explicit).candidate().provider().create();
    }

    private String summary() {
        return candidates.stream().map(Candidate::describe).collect(Collectors.joining("; "));
    }

    private String loadFailureSuffix() {
        return loadFailures.isEmpty() ? "" : ". Providers that failed to load: " + String.join("; ", loadFailures);
    }

    private static Selection logged(Selection s) {
        LOG.log(System.Logger.Level.INFO, "Compute backend: " + s.candidate().provider().name() + " on "
                + s.candidate().probe().detail() + " (" + s.reason() + ")");
        return s;
    }

    private static boolean nonBlank(String s) {
        return s != null && !s.isBlank();
    }
}
