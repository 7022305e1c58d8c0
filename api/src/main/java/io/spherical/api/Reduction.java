package io.spherical.api;

/** The reductions a backend computes per row or per column. */
public enum Reduction {
    /** Sum of the elements. */
    SUM,
    /** Sum of the squared elements. */
    SUM_SQUARES,
    /** Largest element (NaN if any element is NaN). */
    MAX
}
