package io.spherical.testkit;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Probe;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.opentest4j.TestAbortedException;

/** SPHERICAL_REQUIRE and its older OpenCL-only form, read from given values (the process environment is left alone). */
class AvailabilityTest {

    @Test
    void namesAreReadFromTheVariableAndThePropertyInAnyCaseAndSpacing() {
        assertEquals(Set.of("nd4j", "opencl"), Availability.required("opencl,nd4j", null, null, null));
        assertEquals(Set.of("opencl", "reference", "nd4j"),
                Availability.required(" OpenCL , ,Reference ", "nd4j", null, null));
        assertEquals(Set.of("my-backend"), Availability.required(null, "my-backend", null, null));
        assertEquals(Set.of("a", "b"), Availability.required("a b", "", null, null));
    }

    @Test
    void nothingIsRequiredByDefault() {
        assertEquals(Set.of(), Availability.required(null, null, null, null));
        assertEquals(Set.of(), Availability.required("", "  ", "0", "false"));
    }

    @Test
    void theOlderSwitchStillRequiresOpenCl() {
        assertEquals(Set.of("opencl"), Availability.required(null, null, "1", null));
        assertEquals(Set.of("opencl"), Availability.required(null, null, "TRUE", null));
        assertEquals(Set.of("opencl"), Availability.required(null, null, null, "true"));
        assertEquals(Set.of("nd4j", "opencl"), Availability.required("nd4j", null, "1", null));
    }

    @Test
    void anUnavailableBackendIsSkippedUnlessItIsRequired() {
        Probe down = Probe.unavailable("no device");
        TestAbortedException skipped = assertThrows(TestAbortedException.class,
                () -> Availability.requireOrSkip("opencl", down, Set.of("nd4j")));
        assertTrue(skipped.getMessage().contains("no device"), skipped.getMessage());
        AssertionError failed = assertThrows(AssertionError.class,
                () -> Availability.requireOrSkip("OpenCL", down, Set.of("nd4j", "opencl")));
        assertTrue(failed.getMessage().contains("required") && failed.getMessage().contains("no device"),
                failed.getMessage());
        assertDoesNotThrow(() -> Availability.requireOrSkip("opencl", Probe.available("a GPU"), Set.of("opencl")));
        assertDoesNotThrow(() -> Availability.requireOrSkip("opencl", Probe.available("a GPU"), Set.of()));
    }
}
