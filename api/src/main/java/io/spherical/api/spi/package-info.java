/**
 * Helpers for those who implement a backend or a plugin, not for users of the library: shape checks written once
 * ({@link io.spherical.api.spi.Shapes}), a host LU solve as the default of {@code Backend.solve}
 * ({@link io.spherical.api.spi.HostLinearAlgebra}), and tolerant ServiceLoader reading
 * ({@link io.spherical.api.spi.Services}). The main package {@code io.spherical.api} holds what users touch.
 */
package io.spherical.api.spi;
