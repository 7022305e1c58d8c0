package io.spherical.backend.nd4j;

import io.spherical.api.Backend;
import io.spherical.testkit.BackendContract;
import org.junit.jupiter.api.AfterAll;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The whole contract with ND4J's process-wide default data type set to double, as an application embedding us may
 * have it: the backend must not depend on (or change) that setting.
 */
class Nd4jUnderDoubleDefaultsContractTest extends BackendContract {
    @Override
    protected Backend createBackend() {
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
        return new Nd4jBackendProvider().create();
    }

    @AfterAll
    void restoreDefaults() {
        Nd4j.setDefaultDataTypes(DataType.FLOAT, DataType.FLOAT);
    }
}
