package io.spherical.api.spi;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/** ServiceLoader iteration that survives broken entries: each one that fails to load is reported, the rest load. */
public final class Services {
    private Services() {
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
