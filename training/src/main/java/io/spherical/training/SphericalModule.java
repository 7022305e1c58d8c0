package io.spherical.training;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.optim.OptimizerRegistry;
import io.spherical.training.Trainer;

/**
 * The one Guice module every command builds its run from: the resolved {@link Backend} (a singleton, created lazily
 * on first injection, so that building the injector loads no native code), the loss and optimizer registries and
 * the {@link Trainer}. The backend name given here is the "explicit choice" of backend resolution.
 */
public final class SphericalModule extends AbstractModule {
    private final String backendName;

    /**
     * @param backendName forced backend, or null to let discovery decide
     */
    public SphericalModule(String backendName) {
        this.backendName = backendName;
    }

    @Provides
    @Singleton
    Backend backend() {
        return BackendDiscovery.discover().create(backendName);           // as the registries: plugin jars included
    }

    @Provides
    @Singleton
    LossRegistry losses() {
        return LossRegistry.discover();
    }

    @Provides
    @Singleton
    OptimizerRegistry optimizers() {
        return OptimizerRegistry.discover();
    }

    @Provides
    Trainer trainer(Backend backend, LossRegistry losses, OptimizerRegistry optimizers) {
        return new Trainer(backend, losses, optimizers);
    }
}
