package io.spherical.cli;

import com.google.inject.Guice;
import com.google.inject.Injector;
import io.spherical.api.Backend;
import io.spherical.training.SphericalModule;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.optim.OptimizerRegistry;
import io.spherical.training.Trainer;

/**
 * What a command runs with, built in one way for every command (train, eval, bench, experiment) from
 * {@link SphericalModule}: the backend (created on first use, closed with the runtime), the registries, the trainer.
 */
final class CommandContext implements AutoCloseable {
    private final Injector injector;
    private Backend backend;

    private CommandContext(String backendName) {
        this.injector = Guice.createInjector(new SphericalModule(backendName));
    }

    /** A runtime whose backend is {@code backendName}, or the one discovery chooses when null. */
    static CommandContext of(String backendName) {
        return new CommandContext(backendName);
    }

    Backend backend() {
        if (backend == null) {
            backend = injector.getInstance(Backend.class);
        }
        return backend;
    }

    LossRegistry losses() {
        return injector.getInstance(LossRegistry.class);
    }

    OptimizerRegistry optimizers() {
        return injector.getInstance(OptimizerRegistry.class);
    }

    Trainer trainer() {
        backend();
        return injector.getInstance(Trainer.class);
    }

    @Override
    public void close() {
        if (backend != null) {
            backend.close();
        }
    }
}
