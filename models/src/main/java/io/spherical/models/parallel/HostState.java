package io.spherical.models.parallel;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The host-side part of a worker's training state that its next steps depend on and that no tensor holds: named 64-bit
 * values in a fixed order (the output layer's step counter, which seeds the sampled softmax's negatives and schedules
 * the factored layer's maintenance; the trainer's position in the data, step count and schedule). A double travels as
 * its bits ({@link Double#doubleToRawLongBits}). Immutable; {@link ReplicaCheck} compares it across workers exactly
 * and hands every worker rank 0's values.
 *
 * @param names  the values' names, distinct, in the order every worker uses
 * @param values the values, one per name
 */
public record HostState(List<String> names, List<Long> values) {
    /** No value. */
    public static final HostState EMPTY = new HostState(List.of(), List.of());

    /** Copies both lists; rejects lists of different lengths and repeated names. */
    public HostState {
        names = List.copyOf(names);
        values = List.copyOf(values);
        if (names.size() != values.size()) {
            throw new IllegalArgumentException(names.size() + " names for " + values.size() + " values");
        }
        if (new HashSet<>(names).size() != names.size()) {
            throw new IllegalArgumentException("repeated names in " + names);
        }
    }

    /** The values of a map, in its iteration order (a {@link LinkedHashMap} keeps the order of insertion). */
    public static HostState of(Map<String, Long> ordered) {
        return new HostState(new ArrayList<>(ordered.keySet()), new ArrayList<>(ordered.values()));
    }

    /** The number of values. */
    public int size() {
        return names.size();
    }

    /** The value called {@code name}. */
    public long get(String name) {
        int i = names.indexOf(name);
        if (i < 0) {
            throw new IllegalArgumentException("no value '" + name + "' among " + names);
        }
        return values.get(i);
    }

    /** These values followed by {@code more}'s (whose names must differ from these). */
    public HostState plus(HostState more) {
        List<String> n = new ArrayList<>(names);
        n.addAll(more.names);
        List<Long> v = new ArrayList<>(values);
        v.addAll(more.values);
        return new HostState(n, v);
    }

    /** The values at positions {@code from .. to - 1}. */
    public HostState slice(int from, int to) {
        return new HostState(names.subList(from, to), values.subList(from, to));
    }

    /** The same names with other values ({@code v.length == size()}). */
    public HostState withValues(long[] v) {
        if (v.length != size()) {
            throw new IllegalArgumentException(v.length + " values for " + size() + " names");
        }
        List<Long> list = new ArrayList<>(v.length);
        for (long x : v) {
            list.add(x);
        }
        return new HostState(names, list);
    }

    /** The values by name, in order (read-only). */
    public Map<String, Long> asMap() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (int i = 0; i < size(); i++) {
            m.put(names.get(i), values.get(i));
        }
        return Collections.unmodifiableMap(m);
    }
}
