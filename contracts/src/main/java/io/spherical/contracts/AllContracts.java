package io.spherical.contracts;

import io.spherical.api.Backend;
import io.spherical.models.output.BaselineOutputContract;
import io.spherical.models.output.FactoredLayerContract;
import io.spherical.models.output.NormalisedOutputContract;
import io.spherical.testkit.BackendContract;
import org.junit.jupiter.api.Nested;

/**
 * Every contract a {@link Backend} must pass, in one class: a backend's test extends it and implements
 * {@link #createBackend()}, and nothing else.
 *
 * <pre>{@code
 * class MyBackendContractsTest extends AllContracts {
 *     @Override
 *     protected Backend createBackend() {
 *         return new MyBackend();
 *     }
 * }
 * }</pre>
 *
 * <p>JUnit Jupiter runs each suite below as a {@link Nested} class of the concrete test class (nested classes declared
 * in a superclass are inherited since JUnit 5.0): the operations ({@link BackendContract}, which includes the dense
 * operations of {@code DenseOpsContract}), the factored spherical layer against its float64 dense reference
 * ({@link FactoredLayerContract}, with {@code FactoredMaintenanceContract}), log-softmax and hierarchical softmax
 * ({@link NormalisedOutputContract}), and sampled and adaptive softmax ({@link BaselineOutputContract}). Each suite
 * creates its own backend with {@link #createBackend()} before its tests and closes it after them; the contract
 * suites also create extra instances where a test needs one (closing a backend, for example).
 *
 * <p>To skip the suites where the backend cannot run (no device), and fail them instead where it must
 * ({@code SPHERICAL_REQUIRE=NAME}), call {@link io.spherical.testkit.Availability#requireOrSkip} in
 * {@link #createBackend()} first.
 */
public abstract class AllContracts {

    /** Creates a new instance of the backend under test; called once per suite, and by tests that need another. */
    protected abstract Backend createBackend();

    /** Creation, transfer, BLAS, element-wise maps, reductions, indexing, softmax, ranking and solve. */
    @Nested
    public class Operations extends BackendContract {
        @Override
        protected Backend createBackend() {
            return AllContracts.this.createBackend();
        }
    }

    /** The factored spherical output layer, its maintenance and its safety checks. */
    @Nested
    public class FactoredLayer extends FactoredLayerContract {
        @Override
        protected Backend createBackend() {
            return AllContracts.this.createBackend();
        }
    }

    /** Log-softmax and two-level hierarchical softmax. */
    @Nested
    public class NormalisedOutputs extends NormalisedOutputContract {
        @Override
        protected Backend createBackend() {
            return AllContracts.this.createBackend();
        }
    }

    /** Sampled softmax and adaptive softmax. */
    @Nested
    public class BaselineOutputs extends BaselineOutputContract {
        @Override
        protected Backend createBackend() {
            return AllContracts.this.createBackend();
        }
    }
}
