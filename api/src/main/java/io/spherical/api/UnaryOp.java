package io.spherical.api;

/**
 * The fixed set of elementwise functions a backend evaluates with {@link Backend#map}.
 *
 * <p>Those that are activations also have a derivative expressed through their output
 * {@code y = f(x)}, evaluated by {@link Backend#mapBackward}: that form needs no copy of the input.
 */
public enum UnaryOp {
    /** y = x. */
    IDENTITY(true),
    /** y = max(0, x); dy/dx = [y &gt; 0]. */
    RELU(true),
    /** y = tanh(x); dy/dx = 1 - y^2. */
    TANH(true),
    /** y = 1 / (1 + e^-x); dy/dx = y (1 - y). */
    SIGMOID(true),
    /** y = e^x; dy/dx = y. */
    EXP(true),
    /** y = log(x) (NaN for x &lt; 0, -Inf at 0); no output-form derivative. */
    LOG(false),
    /** y = x^2; no output-form derivative. */
    SQUARE(false),
    /** y = sqrt(x) (NaN for x &lt; 0); no output-form derivative. */
    SQRT(false),
    /** y = 1 / x; no output-form derivative. */
    RECIPROCAL(false);

    private final boolean hasBackward;

    UnaryOp(boolean hasBackward) {
        this.hasBackward = hasBackward;
    }

    /** Whether {@link Backend#mapBackward} accepts this function. */
    public boolean hasBackward() {
        return hasBackward;
    }

    /** Reference value in double precision; backends and tests share this definition. */
    public double apply(double x) {
        return switch (this) {
            case IDENTITY -> x;
            case RELU -> x > 0 ? x : (Double.isNaN(x) ? x : 0.0);
            case TANH -> Math.tanh(x);
            case SIGMOID -> x >= 0 ? 1.0 / (1.0 + Math.exp(-x)) : Math.exp(x) / (1.0 + Math.exp(x));
            case EXP -> Math.exp(x);
            case LOG -> Math.log(x);
            case SQUARE -> x * x;
            case SQRT -> Math.sqrt(x);
            case RECIPROCAL -> 1.0 / x;
        };
    }

    /** Reference derivative from the output {@code y = f(x)}, in double precision. */
    public double derivativeFromOutput(double y) {
        return switch (this) {
            case IDENTITY -> 1.0;
            case RELU -> y > 0 ? 1.0 : 0.0;
            case TANH -> 1.0 - y * y;
            case SIGMOID -> y * (1.0 - y);
            case EXP -> y;
            case LOG, SQUARE, SQRT, RECIPROCAL -> throw new IllegalArgumentException(name() + " has no output-form derivative");
        };
    }
}
