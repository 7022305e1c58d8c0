package io.spherical.training.protocol;

import io.spherical.training.HistoryRow;
import io.spherical.training.Schedule;
import java.util.List;

/**
 * What the protocol's CSVs say about a run beyond its metrics: time to best, slow intervals, halvings, rate position,
 * throughput.
 */
final class RunFigures {
    /** An interval slower than this many times its run's median interval is flagged (something else was running). */
    static final double SLOW = 3.0;

    private RunFigures() {
    }

    /** Training seconds until the end of the best interval (the earliest of tied ones, {@link HistoryRow#best}). */
    static double secondsToBest(List<HistoryRow> h) {
        return h.subList(0, HistoryRow.best(h) + 1).stream().mapToDouble(HistoryRow::seconds).sum();
    }

    /** The median training seconds of a run's intervals. */
    static double median(List<HistoryRow> h) {
        double[] t = h.stream().mapToDouble(HistoryRow::seconds).sorted().toArray();
        return t.length == 0 ? Double.NaN : t.length % 2 == 1 ? t[t.length / 2] : (t[t.length / 2 - 1] + t[t.length / 2]) / 2;
    }

    /** How often the plateau schedule halved the rate within a run: after each interval but the last not a new best. */
    static int halvings(Candidate c, List<HistoryRow> h) {
        if (c.schedule() != Schedule.PLATEAU) {
            return 0;
        }
        int n = 0;
        for (int i = 1; i < h.size(); i++) {
            n += HistoryRow.lastIsBest(h.subList(0, i)) ? 0 : 1;
        }
        return n;
    }

    /**
     * Where the chosen rate lies among the rates tried for its model and schedule: {@code interior} (a larger and a
     * smaller rate were tried and did worse or diverged), else {@code largest-tried} or {@code smallest-tried} (the
     * grid's extensions ran out while the edge still won).
     */
    static String position(Candidate chosen, List<Candidate> tried) {
        List<Double> rates = tried.stream().filter(t -> t.base().equals(chosen.base())
                && t.schedule() == chosen.schedule()).map(Candidate::learningRate).toList();
        boolean above = rates.stream().anyMatch(r -> r > chosen.learningRate());
        boolean below = rates.stream().anyMatch(r -> r < chosen.learningRate());
        return above && below ? "interior" : above ? "smallest-tried" : below ? "largest-tried" : "only-rate-tried";
    }

    /**
     * The run's training examples per training second: each interval's throughput weighted by its seconds (the
     * examples it trained over the seconds it took), so that a short last interval (a time budget spent) counts for
     * its share only; NaN when the run has no training seconds.
     */
    static double examplesPerSecond(List<HistoryRow> h) {
        double examples = h.stream().mapToDouble(r -> r.examplesPerSecond() * r.seconds()).sum();
        double seconds = h.stream().mapToDouble(HistoryRow::seconds).sum();
        return seconds > 0 ? examples / seconds : Double.NaN;
    }

    /**
     * The training examples of one interval of {@code interval} examples: the whole interval, unless a time budget ended
     * it sooner, when it is the interval's throughput times its seconds (within 1% of the interval counts as whole, so
     * that the rounding of a full interval's throughput does not show as a shortfall).
     */
    static long intervalExamples(HistoryRow r, long interval) {
        long trained = Math.round(r.examplesPerSecond() * r.seconds());
        return trained >= 0.99 * interval ? interval : trained;
    }

    /** How many intervals of a run were slower than {@link #SLOW} times its median. */
    static int slowIntervals(List<HistoryRow> h) {
        double median = median(h);
        return (int) h.stream().filter(r -> r.seconds() > SLOW * median).count();
    }
}
