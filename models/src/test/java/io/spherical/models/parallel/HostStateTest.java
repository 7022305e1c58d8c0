package io.spherical.models.parallel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Named host values: fixed order, exact values, distinct names, and copies that the caller cannot change. */
class HostStateTest {
    @Test
    void keepsTheOrderAndSplitsWhereItWasJoined() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("step", Long.MIN_VALUE);
        m.put("epoch", 3L);
        HostState a = HostState.of(m);
        HostState b = new HostState(List.of("offset"), List.of(-1L));
        HostState ab = a.plus(b);
        assertEquals(List.of("step", "epoch", "offset"), ab.names());
        assertEquals(Long.MIN_VALUE, ab.get("step"));
        assertEquals(a, ab.slice(0, 2));
        assertEquals(b, ab.slice(2, 3));
        assertEquals(List.of(7L, 8L, 9L), ab.withValues(new long[] {7, 8, 9}).values());
        assertEquals(List.of("step", "epoch"), new ArrayList<>(a.asMap().keySet()));
    }

    @Test
    void rejectsWhatCannotBeMatchedUp() {
        assertThrows(IllegalArgumentException.class, () -> new HostState(List.of("a", "a"), List.of(1L, 2L)));
        assertThrows(IllegalArgumentException.class, () -> new HostState(List.of("a"), List.of(1L, 2L)));
        HostState a = new HostState(List.of("a"), List.of(1L));
        assertThrows(IllegalArgumentException.class, () -> a.plus(a));
        assertThrows(IllegalArgumentException.class, () -> a.get("b"));
        assertThrows(IllegalArgumentException.class, () -> a.withValues(new long[2]));
    }

    @Test
    void isACopy() {
        List<Long> values = new ArrayList<>(List.of(1L));
        HostState a = new HostState(List.of("a"), values);
        values.set(0, 2L);
        assertEquals(1L, a.get("a"));
        assertThrows(UnsupportedOperationException.class, () -> a.values().set(0, 5L));
    }
}
