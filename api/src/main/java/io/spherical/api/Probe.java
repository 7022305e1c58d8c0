package io.spherical.api;

import java.util.Objects;

/**
 * The answer of {@link BackendProvider#probe()}: available with a description of the device, or unavailable with
 * the reason and what would fix it.
 *
 * @param available whether the provider can create a backend here
 * @param detail    the device when available, the reason when not
 */
public record Probe(boolean available, String detail) {

    /** Validates the detail. */
    public Probe {
        Objects.requireNonNull(detail, "detail");
    }

    /** An available provider on the described device. */
    public static Probe available(String device) {
        return new Probe(true, device);
    }

    /** An unavailable provider and the reason. */
    public static Probe unavailable(String reason) {
        return new Probe(false, reason);
    }
}
