package io.spherical.api;

/**
 * A hyperparameter of a {@link SphericalLoss}.
 *
 * @param name         the name used on the command line ({@code --loss-param name=value})
 * @param defaultValue the value used when none is given
 * @param description  what it does and its valid range
 */
public record LossParameter(String name, double defaultValue, String description) {
}
