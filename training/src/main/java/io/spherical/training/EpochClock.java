package io.spherical.training;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The training seconds of the epoch under way, counted across the processes that trained it: a checkpoint records the
 * seconds its unfinished epoch had ({@link #FIELD}), and a run resumed from it starts that epoch's clock there, so that
 * the time budget ({@link TrainingConfig#maxTrainSeconds()}) and the epoch's recorded seconds count the time trained
 * before the interruption (a 30-minute budget interrupted after 20 minutes trains 10 more, not 30).
 */
final class EpochClock {
    /** The checkpoint's field: training seconds of its unfinished epoch (0 at an epoch's start). */
    static final String FIELD = "epochSeconds";

    private int resumedEpoch = -1;
    private double resumedSeconds;
    private long startNanos;

    /** Remembers what the checkpoint a run resumes from had trained of its epoch {@code p.epoch()}. */
    void resumed(Progress p, JsonNode manifest) {
        resumedEpoch = p.epoch();
        resumedSeconds = manifest.path(FIELD).asDouble(0);
    }

    /**
     * Starts (or continues) {@code p}'s epoch now and returns its training seconds from earlier processes: those of
     * the checkpoint resumed from when {@code p} is that epoch part-trained, else 0.
     */
    double start(Progress p) {
        double before = p.epoch() == resumedEpoch && p.doneInEpoch() > 0 ? resumedSeconds : 0;
        startNanos = System.nanoTime() - (long) (before * 1e9);
        return before;
    }

    /** When the epoch would have begun had it trained in this process alone ({@link System#nanoTime()}). */
    long startNanos() {
        return startNanos;
    }

    /** Training seconds of {@code p}'s epoch so far, earlier processes' included; 0 before its first step. */
    double seconds(Progress p) {
        return p.doneInEpoch() > 0 ? (System.nanoTime() - startNanos) / 1e9 : 0;
    }
}
