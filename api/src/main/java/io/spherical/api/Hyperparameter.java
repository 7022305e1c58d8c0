package io.spherical.api;

/**
 * A named numeric hyperparameter of a loss or an optimizer, with its default.
 *
 * @param name         the name used on the command line ({@code --loss-param name=value})
 * @param defaultValue the value used when none is given
 * @param description  what it does and its valid range
 */
public record Hyperparameter(String name, double defaultValue, String description) {
}
