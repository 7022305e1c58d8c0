package io.spherical.backend.nd4j;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spherical.api.Backend;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** Library code changes no process-wide setting: creating and using the backend leaves ND4J's defaults alone. */
class NoSideEffectsTest {
    @Test
    void theBackendLeavesNd4jsDefaultDataTypesAlone() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE); // what an application embedding us may have chosen
        try (Backend b = new Nd4jBackendProvider().create()) {
            try (var t = b.fromHost(new float[] {1, 2, 3, 4}, 2, 2); var out = b.zeros(2, 2)) {
                b.gemm(1f, t, false, t, false, 0f, out);
                assertEquals(7f, b.toHost(out)[0]);
            }
            assertEquals(DataType.DOUBLE, Nd4j.dataType());
            assertEquals(DataType.DOUBLE, Nd4j.defaultFloatingPointType());
        } finally {
            Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
        }
    }
}
