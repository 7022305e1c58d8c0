package io.spherical.models.loss;

import io.spherical.api.spi.Services;
import io.spherical.api.SphericalLoss;
import io.spherical.api.UserException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** Every {@link SphericalLoss} found with ServiceLoader (built-ins and plugins), looked up by name. */
public final class LossRegistry {
    private final List<SphericalLoss> losses;
    private final List<String> loadFailures;

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
        ClassLoader cl = Thread.currentThread().getContextClassLoader();
        return discover(cl != null ? cl : LossRegistry.class.getClassLoader());
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
     * The loss of that name, configured with {@code params}.
     *
     * @throws UserException for an unknown name (listing the known ones) or an invalid parameter
     */
    public SphericalLoss create(String name, Map<String, Double> params) {
        return losses.stream().filter(l -> l.name().equalsIgnoreCase(name)).findFirst()
                .orElseThrow(() -> new UserException("Unknown loss '" + name + "'. Known losses: "
                        + String.join(", ", losses.stream().map(SphericalLoss::name).toList())
                        + ". Fix: pass one of them to --loss, or put the jar of a loss plugin on the classpath."))
                .configure(params);
    }
}
