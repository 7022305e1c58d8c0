package io.spherical.models.inject;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.optim.OptimizerRegistry;
import io.spherical.models.train.Trainer;
import io.spherical.models.train.TrainingConfig;

/**
 * The one Guice module: the resolved {@link Backend} (a singleton, created lazily on first injection, so that merely
 * building the injector loads no native code), the loss and optimizer registries, the configurations and the
 * {@link Trainer}. The backend name given here is the "explicit choice" of backend resolution.
 */
public final class SphericalModule extends AbstractModule {
    private final String backendName;
    private final ModelConfig model;
    private final TrainingConfig training;

    /**
     * @param backendName forced backend, or null to let discovery decide
     */
    public SphericalModule(String backendName, ModelConfig model, TrainingConfig training) {
        this.backendName = backendName;
        this.model = model;
        this.training = training;
    }

    @Override
    protected void configure() {
        bind(ModelConfig.class).toInstance(model);
        bind(TrainingConfig.class).toInstance(training);
    }

    @Provides
    @Singleton
    Backend backend() {
        return BackendDiscovery.discover().create(backendName);
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
