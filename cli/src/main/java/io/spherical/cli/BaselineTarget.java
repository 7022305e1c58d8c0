package io.spherical.cli;

import io.spherical.training.protocol.Protocol;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The goal of the study, in the protocol's report: the Z-loss reaches the best baseline's final validation top-10 error
 * in at most half that baseline's training time, and its test top-10 error is at or below the best baseline's.
 * <p>
 * A <b>baseline</b> is a kind whose output layer takes no spherical loss ({@code OutputKind.spherical()} false:
 * log-softmax, hsm, sampled-softmax, adaptive-softmax). The <b>best baseline</b> is the baseline kind whose final runs
 * reach the lowest validation top-10 error: per run the minimum over its curve, per kind the mean over its runs
 * (seeds); on a tie the first kind of the report. That mean, "its final validation top-10", is the <b>target</b> every
 * kind is timed to: a run reaches it at the training seconds of its first validation at or below it. For the test
 * comparison the best baseline is the baseline kind of the lowest mean test top-10 error.
 *
 * @param kind   the best baseline kind; null when no baseline kind ran
 * @param target its mean best validation top-10 error; NaN when no baseline kind ran
 */
record BaselineTarget(String kind, double target) {

    /** The best baseline among {@code byKind} (each kind with its final runs, in report order), from their curves. */
    static BaselineTarget of(Map<String, List<Protocol.Outcome>> byKind, Map<String, List<double[]>> curves) {
        String best = null;
        double target = Double.NaN;
        for (Map.Entry<String, List<Protocol.Outcome>> e : byKind.entrySet()) {
            double v = meanBestValid(e.getValue(), curves);
            if (baseline(e.getValue()) && !Double.isNaN(v) && (best == null || v < target)) {
                best = e.getKey();
                target = v;
            }
        }
        return new BaselineTarget(best, target);
    }

    /** Whether a kind (its final runs) is a baseline: its output layer takes no spherical loss. */
    static boolean baseline(List<Protocol.Outcome> os) {
        return !os.get(0).selected().model().output().spherical();
    }

    /** The mean over runs of each run's lowest validation top-10 error (runs without a curve left out); NaN: none. */
    static double meanBestValid(List<Protocol.Outcome> os, Map<String, List<double[]>> curves) {
        return os.stream().map(o -> curves.get(o.run())).filter(c -> c != null && !c.isEmpty())
                .mapToDouble(c -> c.stream().mapToDouble(p -> p[1]).min().orElseThrow()).average().orElse(Double.NaN);
    }

    /** Training seconds at the first validation at or below {@code target}; NaN when never. */
    static double timeTo(List<double[]> curve, double target) {
        if (curve != null) {
            for (double[] p : curve) {
                if (p[1] <= target) {
                    return p[0];
                }
            }
        }
        return Double.NaN;
    }

    /** Each run's training seconds to the target (NaN: never, or no baseline ran). */
    double[] reach(List<Protocol.Outcome> os, Map<String, List<double[]>> curves) {
        return os.stream().mapToDouble(o -> timeTo(curves.get(o.run()), target)).toArray();
    }

    /** The header of the report's time-to-target column. */
    String header() {
        return kind == null ? "s to the best baseline's valid top-10"
                : String.format(Locale.ROOT, "s to %s's best valid top-10 (%.4f)", kind, target);
    }

    /**
     * A kind's cell of that column: the mean seconds over its runs that reach the target and how many do,
     * {@code not reached} when none does, {@code -} when no baseline ran.
     */
    String cell(List<Protocol.Outcome> os, Map<String, List<double[]>> curves) {
        if (kind == null) {
            return "-";
        }
        double[] reach = reach(os, curves);
        long n = Arrays.stream(reach).filter(x -> !Double.isNaN(x)).count();
        return n == 0 ? "not reached"
                : String.format(Locale.ROOT, "%.0f (%d of %d runs)", mean(reach), n, reach.length);
    }

    /**
     * The goal check of each spherical kind, one sentence each (none when no baseline ran): its mean test top-10 error
     * against the best test baseline's ("at or below": not higher); its mean seconds to the target against the best
     * baseline's own, both over the runs that reach it ("never" when none does; the count when some do not), and "at
     * most half" when the ratio is 0.5 or less.
     */
    List<String> goals(Map<String, List<Protocol.Outcome>> byKind, Map<String, List<double[]>> curves) {
        List<String> out = new ArrayList<>();
        if (kind == null) {
            return out;
        }
        String testKind = null;
        double testBest = Double.NaN;
        for (Map.Entry<String, List<Protocol.Outcome>> e : byKind.entrySet()) {
            double v = meanTestTop10(e.getValue());
            if (baseline(e.getValue()) && (testKind == null || v < testBest)) {
                testKind = e.getKey();
                testBest = v;
            }
        }
        double baseSeconds = mean(reach(byKind.get(kind), curves));
        for (Map.Entry<String, List<Protocol.Outcome>> e : byKind.entrySet()) {
            if (baseline(e.getValue())) {
                continue;
            }
            double test = meanTestTop10(e.getValue());
            double[] reach = reach(e.getValue(), curves);
            double seconds = mean(reach);
            String sentence = String.format(Locale.ROOT, "%s: test top-10 %.4f against the best baseline's (%s) %.4f "
                    + "-> at or below: %s; ", e.getKey(), test, testKind, testBest, yes(test <= testBest));
            if (Double.isNaN(seconds)) {
                sentence += String.format(Locale.ROOT, "reaches %s's best validation top-10 %.4f: never (%s in %.0f s) "
                        + "-> at most half: no", kind, target, kind, baseSeconds);
            } else {
                long n = Arrays.stream(reach).filter(x -> !Double.isNaN(x)).count();
                double ratio = seconds / baseSeconds;
                sentence += String.format(Locale.ROOT, "reaches %s's best validation top-10 %.4f in %.0f s%s, %s in "
                        + "%.0f s: %.2f of its time -> at most half: %s", kind, target, seconds, n == reach.length ? ""
                        : String.format(Locale.ROOT, " (%d of %d runs)", n, reach.length), kind, baseSeconds, ratio,
                        yes(ratio <= 0.5));
            }
            out.add(sentence);
        }
        return out;
    }

    /** The mean test top-10 error of a kind's runs. */
    private static double meanTestTop10(List<Protocol.Outcome> os) {
        return os.stream().mapToDouble(o -> o.test().topKError().get(10)).average().orElse(Double.NaN);
    }

    /** The mean of the values that are not NaN; NaN when none. */
    private static double mean(double[] v) {
        return Arrays.stream(v).filter(x -> !Double.isNaN(x)).average().orElse(Double.NaN);
    }

    private static String yes(boolean b) {
        return b ? "yes" : "no";
    }
}
