package io.spherical.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spherical.api.BackendDiscovery;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Both backends on the classpath (the default execution): the priority rule decides. */
class BothBackendsScenarioTest {

    @Test
    void priorityDecidesBetweenNd4jAndOpenCl() {
        BackendDiscovery d = BackendDiscovery.discover();
        assertEquals(List.of("nd4j", "opencl"), d.names());
        BackendDiscovery.Candidate opencl = d.candidates().get(1);
        boolean gpu = opencl.probe().available() && opencl.provider().priority() == 100;
        String expected = gpu ? "opencl" : "nd4j";
        assertEquals(expected, d.select(null, k -> null, Map.of()).candidate().provider().name(),
                "OpenCL on a GPU (priority 100) beats ND4J (50); OpenCL on a CPU (10) does not: " + opencl.describe());
        assertEquals(opencl.probe().available() ? (gpu ? 100 : 10) : 10, opencl.provider().priority());
    }
}
