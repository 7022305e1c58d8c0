package io.spherical.cli;

import io.spherical.api.UserException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Parsing helpers shared by the commands. */
final class Options {
    private Options() {
    }

    /** A step bound: a positive number, or {@code inf} (also {@code infinity}, {@code none}) for no step control. */
    static double stepBound(String v) {
        String t = v.trim().toLowerCase(java.util.Locale.ROOT);
        if (t.equals("inf") || t.equals("infinity") || t.equals("none")) {
            return Double.POSITIVE_INFINITY;
        }
        try {
            return Double.parseDouble(t);
        } catch (NumberFormatException e) {
            throw new UserException("--step-bound expects a positive number or inf, got '" + v + "'. Fix: for example "
                    + "--step-bound 0.5 (the default) or --step-bound inf (the paper's plain step).");
        }
    }

    /** Parses {@code k=v} pairs into numbers, naming the flag on error. */
    static Map<String, Double> keyValues(List<String> pairs, String flag) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String p : pairs) {
            int eq = p.indexOf('=');
            if (eq <= 0) {
                throw new UserException(flag + " expects NAME=VALUE, got '" + p + "'.");
            }
            try {
                out.put(p.substring(0, eq).trim(), Double.parseDouble(p.substring(eq + 1).trim()));
            } catch (NumberFormatException e) {
                throw new UserException(flag + " " + p + ": '" + p.substring(eq + 1) + "' is not a number.");
            }
        }
        return out;
    }
}
