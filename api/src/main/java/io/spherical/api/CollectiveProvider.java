package io.spherical.api;

/**
 * A collective library that can join a group of processes, found by {@link java.util.ServiceLoader} (list the class
 * in {@code META-INF/services/io.spherical.api.CollectiveProvider}). Constructing a provider must be cheap and load no
 * native code: the library is loaded in {@link #join}.
 */
public interface CollectiveProvider {
    /** The name users pick it by, e.g. {@code gloo}. */
    String name();

    /**
     * Joins the group: rank {@code rank} of {@code size}, meeting at {@code at}'s {@code host:port} (rank 0 listens
     * there, the others connect), admitting only processes that hold {@code at}'s token (callers check that there is
     * one: {@link Collectives#join}). Blocks until every rank has joined; fails with a {@link UserException} after
     * {@code at.timeout()}. Every later call of the returned group fails the same way when a rank does not answer
     * within that timeout.
     */
    Collective join(int rank, int size, GroupAddress at);

    /**
     * Prepares this machine before several local workers start (loads, and unpacks once, the library's native code,
     * so that workers starting together do not unpack it at the same time). Does nothing by default.
     */
    default void prepare() {
    }
}
