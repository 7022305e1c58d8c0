package io.spherical.training.data.raw;

import io.spherical.api.UserException;
import io.spherical.training.data.Split;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Locale;

/**
 * Which split a document belongs to: the first 64 bits of the SHA-256 of its identity, as a number in [0, 1), against
 * the cumulative fractions (train, valid, test). Depends on the document alone, never on file order or on the other
 * documents; a document is never cut between splits.
 *
 * @param train fraction of documents for training
 * @param valid for validation
 * @param test  for the test split
 */
public record SplitRule(double train, double valid, double test) {
    /** The default 98% / 1% / 1%. */
    public static final SplitRule DEFAULT = new SplitRule(0.98, 0.01, 0.01);

    /** Checks the fractions. */
    public SplitRule {
        if (!(train > 0) || !(valid > 0) || !(test > 0) || Math.abs(train + valid + test - 1) > 1e-9) {
            throw new UserException("--split needs three positive fractions that sum to 1 (train,valid,test), got "
                    + train + "," + valid + "," + test + ". Fix: for example --split 0.98,0.01,0.01.");
        }
    }

    /** Parses {@code 0.98,0.01,0.01}. */
    public static SplitRule parse(String v) {
        String[] p = v.split(",");
        try {
            if (p.length == 3) {
                return new SplitRule(Double.parseDouble(p[0].trim()), Double.parseDouble(p[1].trim()),
                        Double.parseDouble(p[2].trim()));
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UserException("--split expects three fractions train,valid,test, got '" + v + "'. Fix: for example "
                + "--split 0.98,0.01,0.01.");
    }

    /** The split of the document with identity {@code id}. */
    public Split of(String id) {
        double u = unit(id);
        return u < train ? Split.TRAIN : u < train + valid ? Split.VALID : Split.TEST;
    }

    /** The identity's hash as a number in [0, 1). */
    static double unit(String id) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.UTF_8));
            long x = 0;
            for (int i = 0; i < 8; i++) {
                x = x << 8 | (h[i] & 0xff);
            }
            return (x >>> 11) * 0x1.0p-53;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** As {@code --split} writes it. */
    public String label() {
        return String.format(Locale.ROOT, "%s,%s,%s", train, valid, test);
    }
}
