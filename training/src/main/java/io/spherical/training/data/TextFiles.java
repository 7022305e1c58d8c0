package io.spherical.training.data;

import io.spherical.api.UserException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/** Strict reading of corpus text: UTF-8 only, no NUL bytes, bounded line length; every problem is a user error. */
public final class TextFiles {
    /** Longest line accepted, in characters (a corpus line is a sentence). */
    public static final int MAX_LINE = 1 << 20;

    private TextFiles() {
    }

    /**
     * Reads a file line by line into sentences with {@code tokenize} (which may return null to skip a line).
     *
     * @throws UserException when the file is missing, unreadable, binary, not UTF-8 or has an absurdly long line
     */
    public static List<String[]> sentences(Path file, Function<String, String[]> tokenize) {
        List<String[]> out = new ArrayList<>();
        forEachSentence(file, tokenize, out::add);
        return out;
    }

    /**
     * Streams a file's sentences to {@code sink}, line by line, never holding the file in memory.
     *
     * @throws UserException as {@link #sentences}
     */
    public static void forEachSentence(Path file, Function<String, String[]> tokenize,
                                       java.util.function.Consumer<String[]> sink) {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try (InputStream in = Files.newInputStream(file);
             BufferedReader r = new BufferedReader(new InputStreamReader(in, dec), 1 << 16)) {
            StringBuilder line = new StringBuilder();
            long lineNo = 0;
            int ch;
            while (true) {
                line.setLength(0);
                while ((ch = r.read()) >= 0 && ch != '\n') {
                    if (ch == 0) {
                        throw new UserException("Corpus file " + file + " contains NUL bytes (line " + (lineNo + 1)
                                + "): it looks binary, not text. Fix: point the corpus at UTF-8 text files.");
                    }
                    if (line.length() >= MAX_LINE) {
                        throw new UserException("Corpus file " + file + " has a line longer than " + MAX_LINE
                                + " characters (line " + (lineNo + 1) + "). Fix: put one sentence per line.");
                    }
                    line.append((char) ch);
                }
                if (ch < 0 && line.length() == 0) {
                    break;
                }
                lineNo++;
                String[] toks = tokenize.apply(line.toString());
                if (toks != null && toks.length > 0) {
                    sink.accept(toks);
                }
                if (ch < 0) {
                    break;
                }
            }
        } catch (CharacterCodingException e) {
            throw new UserException("Corpus file " + file + " is not valid UTF-8 text. Fix: convert it to UTF-8 "
                    + "(for example with iconv) or point the corpus elsewhere.", e);
        } catch (NoSuchFileException e) {
            throw new UserException("Corpus file " + file + " does not exist. Fix: check the corpus path.", e);
        } catch (IOException e) {
            throw new UserException("Cannot read corpus file " + file + ": " + e.getMessage()
                    + ". Fix: check that it exists and is readable.", e);
        }
    }

    /** Splits on white space; null for a blank line. */
    public static String[] whitespace(String line) {
        String t = line.strip();
        return t.isEmpty() ? null : t.split("\\s+");
    }
}
