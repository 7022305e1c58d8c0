package io.spherical.it;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Probe;
import io.spherical.testkit.Availability;

/** The one backend on this execution's classpath, or a skip with its reason (a failure where it is required). */
final class SoleBackend {
    private SoleBackend() {
    }

    static Backend create() {
        BackendDiscovery d = BackendDiscovery.discover();
        if (d.candidates().size() != 1) {
            throw new IllegalStateException("this execution must hold exactly one backend, found " + d.names());
        }
        Probe p = d.candidates().get(0).probe();
        Availability.requireOrSkip(d.names().get(0), p);
        return d.create(null);
    }
}
