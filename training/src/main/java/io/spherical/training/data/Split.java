package io.spherical.training.data;

/** The three parts of a corpus. */
public enum Split {
    /** Training data. */
    TRAIN,
    /** Validation data (model selection, early stopping). */
    VALID,
    /** Test data (reported once). */
    TEST;

    /** Lower-case name, as on the command line. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
