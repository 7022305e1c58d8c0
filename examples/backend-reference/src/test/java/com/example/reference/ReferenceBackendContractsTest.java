package com.example.reference;

import io.spherical.api.Backend;
import io.spherical.contracts.AllContracts;
import io.spherical.testkit.Availability;

/**
 * Every contract, on the reference backend: the operations, the factored spherical layer, log-softmax and hierarchical
 * softmax, sampled and adaptive softmax (the suites are the nested classes AllContracts declares). With the tolerances
 * the contracts state; nothing is skipped or loosened for this backend.
 */
class ReferenceBackendContractsTest extends AllContracts {
    @Override
    protected Backend createBackend() {
        // always available; the pattern for a backend that needs a device: skipped without one, a failure where
        // SPHERICAL_REQUIRE names it
        Availability.requireOrSkip(ReferenceBackendProvider.NAME, new ReferenceBackendProvider().probe());
        return new ReferenceBackend();
    }
}
