package io.spherical.models.loss;

import io.spherical.api.LossCheck;
import io.spherical.api.spi.Services;
import io.spherical.api.SphericalLoss;
import io.spherical.api.UserException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every {@link SphericalLoss} found with ServiceLoader (built-ins and plugins), looked up by name. Every loss
 * {@link #create} returns has passed the derivative check ({@link LossCheck} on {@value LossCheck#QUICK_POINTS}
 * points); one whose partials are wrong is refused in one line naming it and its worst error.
 */
public final class LossRegistry {
    private final List<SphericalLoss> losses;
    private final List<String> loadFailures;
    /** Check results by loss class and values: each configuration is checked once per registry. */
    private final Map<List<Object>, LossCheck.Result> checked = new ConcurrentHashMap<>();

    private LossRegistry(List<SphericalLoss> losses, List<String> loadFailures) {
        this.losses = List.copyOf(losses);
        this.loadFailures = List.copyOf(loadFailures);
    }

    /** Discovers losses visible to the given class loader; entries that fail to load are recorded and skipped. */
    public static LossRegistry discover(ClassLoader loader) {
        List<String> failures = new ArrayList<>();
        List<SphericalLoss> found = new ArrayList<>();
        for (SphericalLoss l : Services.load(SphericalLoss.class, loader, failures)) {
            if (found.stream().noneMatch(x -> x.name().equals(l.name()))) {
                found.add(l);
            }
        }
        found.sort(Comparator.comparing(SphericalLoss::name));
        return new LossRegistry(found, failures);
    }

    /** Discovers with the thread's context class loader (so plugin jars on the classpath are seen). */
    public static LossRegistry discover() {
        return discover(Services.pluginLoader(LossRegistry.class));
    }

    /** All losses with their default hyperparameters, sorted by name. */
    public List<SphericalLoss> all() {
        return losses;
    }

    /** Services entries that failed to load. */
    public List<String> loadFailures() {
        return loadFailures;
    }

    /**
     * The loss of that name, configured with {@code params}, once it has passed the derivative check.
     *
     * @throws UserException for an unknown name (listing the known ones), an invalid parameter, or a loss that fails
     *                       the check (naming it, where it came from and its worst error)
     */
    public SphericalLoss create(String name, Map<String, Double> params) {
        SphericalLoss loss = losses.stream().filter(l -> l.name().equalsIgnoreCase(name)).findFirst()
                .orElseThrow(() -> new UserException("Unknown loss '" + name + "'. Known losses: "
                        + String.join(", ", losses.stream().map(SphericalLoss::name).toList())
                        + ". Fix: choose one of them, or load the plugin that provides '" + name
                        + "' (--plugins DIR or SPHERICAL_PLUGINS)."))
                .configure(params);
        LossCheck.Result r;
        try {
            r = check(loss);
        } catch (RuntimeException e) {
            throw new UserException(refusal(loss, "evaluate threw " + String.valueOf(e).replace('\n', ' ')), e);
        }
        if (!r.passed()) {
            throw new UserException(refusal(loss, r.failure()));
        }
        return loss;
    }

    /**
     * The derivative check of {@code loss} as configured: {@link LossCheck} on {@value LossCheck#QUICK_POINTS} points
     * (seed {@value LossCheck#QUICK_SEED}), remembered per loss class and values. What the loss throws propagates.
     */
    public LossCheck.Result check(SphericalLoss loss) {
        List<Object> key = List.of(loss.getClass(), Map.copyOf(loss.values()));
        return checked.computeIfAbsent(key, k -> LossCheck.check(loss, LossCheck.QUICK_POINTS, LossCheck.QUICK_SEED));
    }

    private static String refusal(SphericalLoss loss, String what) {
        return "Loss '" + loss.name() + "' (from " + origin(loss.getClass()) + ") fails its derivative check: " + what
                + ". Fix: correct its partials (see testkit's LossContract).";
    }

    /** The class's name, and the jar it was loaded from when it came from one. */
    static String origin(Class<?> type) {
        return type.getName() + Services.jarOf(type).map(j -> " in " + j).orElse("");
    }
}
