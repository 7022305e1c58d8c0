package io.spherical.training.data.raw;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Removes Project Gutenberg's licence header and footer. The header ends at the first marker line of the forms
 * {@code *** START OF THIS PROJECT GUTENBERG EBOOK ...}, {@code ***START OF THE PROJECT GUTENBERG EBOOK ...} or the
 * 1990s {@code *END*THE SMALL PRINT! FOR PUBLIC DOMAIN ETEXTS*...}; the footer starts at the first line after it of
 * the forms {@code *** END OF THIS/THE PROJECT GUTENBERG EBOOK ...}, {@code End of the Project Gutenberg EBook of ...},
 * {@code End of Project Gutenberg's ...} or {@code ***START**THE SMALL PRINT!...} (the older books' licence at the
 * end). Case and the number of asterisks and spaces do not matter. A document without a header marker keeps its
 * beginning; one without a footer marker keeps its end.
 */
public final class Gutenberg {
    private static final Pattern START = Pattern.compile("(?im)^[ \\t]*(\\*+[ \\t]*START[ \\t]+OF[ \\t]+(THIS|THE)[ \\t]+"
            + "PROJECT[ \\t]+GUTENBERG.*|\\*+[ \\t]*END\\*+[ \\t]*THE[ \\t]+SMALL[ \\t]+PRINT.*)$");
    private static final Pattern END = Pattern.compile("(?im)^[ \\t]*(\\*+[ \\t]*END[ \\t]+OF[ \\t]+(THIS|THE)[ \\t]+"
            + "PROJECT[ \\t]+GUTENBERG.*|END[ \\t]+OF[ \\t]+(THE[ \\t]+)?PROJECT[ \\t]+GUTENBERG.*"
            + "|\\*+[ \\t]*START\\*+[ \\t]*THE[ \\t]+SMALL[ \\t]+PRINT.*)$");

    private Gutenberg() {
    }

    /** The text between the header and the footer (the whole text when it has no markers). */
    public static String body(String text) {
        int from = 0;
        Matcher s = START.matcher(text);
        if (s.find()) {
            from = s.end();
        }
        int to = text.length();
        Matcher e = END.matcher(text);
        if (e.find(from)) {
            to = e.start();
        }
        return text.substring(from, to);
    }
}
