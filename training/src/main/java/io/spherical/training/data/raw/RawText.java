package io.spherical.training.data.raw;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Tokenisation of raw text, the JDK's Unicode rules and nothing hand-written:
 * <ol>
 *   <li>paragraphs are separated by blank lines; the line breaks inside a paragraph are spaces (books wrap their lines
 *       by hand, so a line end is not a sentence end);</li>
 *   <li>sentences are found in each paragraph by {@link BreakIterator#getSentenceInstance(Locale)} (Unicode sentence
 *       boundaries, UAX #29, root locale);</li>
 *   <li>tokens are the segments between Unicode word boundaries ({@link BreakIterator#getWordInstance(Locale)}) that
 *       are not white space: words, numbers, and each punctuation mark on its own ({@code "don't"} stays one token,
 *       {@code "end."} is {@code end .});</li>
 *   <li>lower-cased with the root locale unless the case is kept.</li>
 * </ol>
 * Not thread-safe (the break iterators hold state): one instance per thread.
 */
public final class RawText {
    private final boolean keepCase;
    private final BreakIterator sentences = BreakIterator.getSentenceInstance(Locale.ROOT);
    private final BreakIterator words = BreakIterator.getWordInstance(Locale.ROOT);
    private final StringBuilder paragraph = new StringBuilder();
    private final List<String> tokens = new ArrayList<>();

    /** A tokeniser that lower-cases, or keeps the case when {@code keepCase}. */
    public RawText(boolean keepCase) {
        this.keepCase = keepCase;
    }

    /** Calls {@code sink} with each sentence of {@code text} as its tokens (the list is reused: copy what you keep). */
    public void sentences(String text, Consumer<List<String>> sink) {
        paragraph.setLength(0);
        int n = text.length();
        int lineStart = 0;
        while (lineStart <= n) {
            int lineEnd = text.indexOf('\n', lineStart);
            if (lineEnd < 0) {
                lineEnd = n;
            }
            if (isBlank(text, lineStart, lineEnd)) {
                flush(sink);
            } else {
                if (paragraph.length() > 0) {
                    paragraph.append(' ');
                }
                paragraph.append(text, lineStart, lineEnd);
            }
            lineStart = lineEnd + 1;
        }
        flush(sink);
    }

    private static boolean isBlank(String text, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (!Character.isWhitespace(c) && !Character.isSpaceChar(c)) {      // no-break spaces are spaces too
                return false;
            }
        }
        return true;
    }

    private void flush(Consumer<List<String>> sink) {
        if (paragraph.length() == 0) {
            return;
        }
        String p = paragraph.toString();    // sentence rules read the case ("etc. the" is no sentence end)
        paragraph.setLength(0);
        sentences.setText(p);
        int start = sentences.first();
        for (int end = sentences.next(); end != BreakIterator.DONE; start = end, end = sentences.next()) {
            tokens.clear();
            String s = keepCase ? p.substring(start, end) : p.substring(start, end).toLowerCase(Locale.ROOT);
            words.setText(s);
            int ws = words.first();
            for (int we = words.next(); we != BreakIterator.DONE; ws = we, we = words.next()) {
                if (!isBlank(s, ws, we)) {
                    tokens.add(s.substring(ws, we));
                }
            }
            if (!tokens.isEmpty()) {
                sink.accept(tokens);
            }
        }
    }
}
