package io.spherical.training;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import io.spherical.api.UserException;
import io.spherical.models.lm.ModelConfig;
import io.spherical.training.checkpoint.Checkpoint;
import java.io.IOException;
import java.util.Map;

/** Reading a run's records back (the checkpoint's manifest) and reporting what its output layer recorded. */
final class RunRecords {
    private RunRecords() {
    }

    /**
     * The model with the loss values its checkpoint recorded (every hyperparameter, defaults resolved), so that a run
     * resumes and evaluates with the loss it was trained with even when a later version changes a default.
     */
    static ModelConfig withRecordedLoss(ModelConfig mc, JsonNode manifest) {
        JsonNode loss = manifest.get("loss");
        if (loss == null || !mc.output().spherical() || !mc.loss().equals(loss.path("name").asText())
                || !loss.has("values")) {
            return mc;
        }
        Map<String, Double> values = fromJson(loss.get("values"), new TypeReference<Map<String, Double>>() { });
        return mc.toBuilder().loss(mc.loss(), values).build();
    }

    static <T> T fromJson(JsonNode node, Class<T> type) {
        try {
            return Checkpoint.JSON.treeToValue(node, type);
        } catch (IOException | IllegalArgumentException e) {
            throw new UserException("The checkpoint's " + type.getSimpleName() + " is unreadable (" + e.getMessage()
                    + "). Fix: start a new run directory.", e);
        }
    }

    static <T> T fromJson(JsonNode node, TypeReference<T> type) {
        try {
            return Checkpoint.JSON.readerFor(type).readValue(node);
        } catch (IOException | IllegalArgumentException e) {
            throw new UserException("The checkpoint's history is unreadable (" + e.getMessage()
                    + "). Fix: start a new run directory.", e);
        }
    }

    /** One status line when the output layer's safety mechanisms acted (counts since this process started). */
    static void reportSafetyCounters(Map<String, Long> counters, TrainingListener listener) {
        long control = counters.getOrDefault("controlledSteps", 0L);
        long repairs = counters.getOrDefault("repairs", 0L);
        long solves = counters.getOrDefault("hostSolves", 0L);
        if (control + repairs + solves > 0) {
            listener.status("Output layer: " + control + " steps reduced by the step control, " + repairs
                    + " exact recomputations of Q, " + solves + " direct solves (see run.json, \"diagnostics\").");
        }
    }

    /** The output layer's counters a checkpoint recorded (empty for checkpoints written before they were kept). */
    static Map<String, Long> counters(JsonNode manifest) {
        JsonNode d = manifest.get("diagnostics");
        return d == null || !d.isObject() ? Map.of() : fromJson(d, new TypeReference<Map<String, Long>>() { });
    }

    /**
     * The progress to resume from: the checkpoint's, or its epoch from the beginning when the training split is now
     * read in another number of chunks than when it was written (a corpus now prepared and memory-mapped, such as One
     * Billion Word or a large line-per-sentence corpus): the recorded chunk and offset would point elsewhere.
     */
    static Progress sameChunking(JsonNode manifest, io.spherical.training.data.Corpus corpus, Progress p,
                                 TrainingListener listener) {
        int recorded = manifest.path("trainChunks").asInt(1);     // runs written before it was recorded: one chunk
        int now = corpus.chunks(io.spherical.training.data.Split.TRAIN).size();
        if (recorded == now || p.chunk() == 0 && p.offset() == 0) {
            return p;
        }
        listener.status("The training split is now read in " + now + " chunks (the checkpoint was written with "
                + recorded + "): epoch " + (p.epoch() + 1) + " restarts from its beginning.");
        return p.restartEpoch();
    }
}
