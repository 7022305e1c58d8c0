package io.spherical.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spherical.api.UserException;
import io.spherical.models.lm.Activation;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.lm.OutputKind;
import io.spherical.training.checkpoint.Checkpoint;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The configurations: valid by construction, builders that copy, and JSON that old run directories still read. */
class ConfigTest {
    @Test
    void impossibleValuesAreUserErrorsNamingTheOption() {
        assertMessage("--epochs", () -> TrainingConfig.builder().epochs(0).build());
        assertMessage("--batch", () -> TrainingConfig.builder().batch(0).build());
        assertMessage("--lr", () -> TrainingConfig.builder().learningRate(Double.NaN).build());
        assertMessage("--min-count", () -> TrainingConfig.builder().minCount(0).build());
        assertMessage("--checkpoint-every", () -> TrainingConfig.builder().checkpointEvery(-1).build());
        assertMessage("--context", () -> ModelConfig.builder().context(0).build());
        assertMessage("--embedding", () -> ModelConfig.builder().embedding(0).build());
        assertMessage("--hidden", () -> ModelConfig.builder().hidden(List.of(8, 0)).build());
        assertMessage("--activation", () -> Activation.parse("sigmoid"));
        assertMessage("--schedule", () -> Schedule.parse("cosine"));
    }

    @Test
    void toBuilderCopiesEveryValueAndChangesOnlyWhatIsSet() {
        TrainingConfig a = TrainingConfig.builder().epochs(7).batch(33).learningRate(0.125).schedule(Schedule.PLATEAU)
                .optimizer("adam", java.util.Map.of("beta1", 0.8)).patience(4).minCount(2).limits(1000, 100)
                .checkpointEvery(9).build();
        assertEquals(a, a.toBuilder().build());
        TrainingConfig b = a.toBuilder().learningRate(0.5).build();
        assertEquals(0.5, b.learningRate());
        assertEquals(a, b.toBuilder().learningRate(0.125).build());
        ModelConfig m = ModelConfig.builder().context(3).embedding(5).hidden(List.of(7)).activation(Activation.TANH)
                .output(OutputKind.HSM).loss("squared-error", java.util.Map.of()).biasInput(0.5f).stabilisePeriod(3)
                .unfactorPeriod(4).seed(11).build();
        assertEquals(m, m.toBuilder().build());
        assertEquals(OutputKind.SOFTMAX, m.toBuilder().output(OutputKind.SOFTMAX).build().output());
    }

    @Test
    void jsonRoundTripsAndReadsTheLowerCaseNamesOfEarlierRuns() throws Exception {
        TrainingConfig t = TrainingConfig.builder().schedule(Schedule.LINEAR).build();
        assertEquals(t, Checkpoint.JSON.treeToValue(Checkpoint.JSON.valueToTree(t), TrainingConfig.class));
        ModelConfig m = ModelConfig.builder().activation(Activation.TANH).build();
        assertEquals(m, Checkpoint.JSON.treeToValue(Checkpoint.JSON.valueToTree(m), ModelConfig.class));

        ObjectNode oldTraining = Checkpoint.JSON.valueToTree(t);
        oldTraining.put("schedule", "plateau");
        assertEquals(Schedule.PLATEAU, Checkpoint.JSON.treeToValue(oldTraining, TrainingConfig.class).schedule());
        ObjectNode oldModel = Checkpoint.JSON.valueToTree(m);
        oldModel.put("activation", "relu");
        assertEquals(Activation.RELU, Checkpoint.JSON.treeToValue(oldModel, ModelConfig.class).activation());
    }

    @Test
    void aCheckpointWithAnImpossibleValueIsUnreadableNotAccepted() {
        ObjectNode bad = Checkpoint.JSON.valueToTree(TrainingConfig.brownDefault());
        bad.put("batch", -5);
        UserException e = assertThrows(UserException.class, () -> RunRecords.fromJson(bad, TrainingConfig.class));
        assertTrue(e.getMessage().contains("--batch must be >= 1"), e.getMessage());
    }

    private static void assertMessage(String option, org.junit.jupiter.api.function.Executable what) {
        UserException e = assertThrows(UserException.class, what);
        assertTrue(e.getMessage().contains(option), e.getMessage());
    }
}
