package io.spherical.training.data.raw;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The tokenisation rule of README's "Your own text", example by example. */
class RawTextTest {
    static List<String> sentences(String text, boolean keepCase) {
        List<String> out = new ArrayList<>();
        new RawText(keepCase).sentences(text, s -> out.add(String.join(" ", s)));
        return out;
    }

    @Test
    void wordsAndPunctuationAreTokensAndTheCaseIsLowered() {
        assertEquals(List.of("\" don't stop , \" she said ."), sentences("\"Don't stop,\" she said.", false));
    }

    @Test
    void hardLineBreaksInsideAParagraphAreNotSentenceEnds() {
        String book = "It was the best of times, it was\nthe worst of times. It was the age\nof wisdom.\n\n"
                + "A new paragraph\nstarts here";
        assertEquals(List.of("it was the best of times , it was the worst of times .", "it was the age of wisdom .",
                "a new paragraph starts here"), sentences(book, false));
    }

    @Test
    void theCaseIsKeptWhenAsked() {
        assertEquals(List.of("The Cat sat .", "Then it left !"), sentences("The Cat sat. Then it left!", true));
    }

    @Test
    void numbersAndUnicodeWordsStayWhole() {
        assertEquals(List.of("in 1851 , naïve café-owners paid 3.50 ."),
                sentences("In 1851, naïve café-owners paid 3.50.", false));
    }

    @Test
    void blankAndWhitespaceOnlyTextHasNoSentence() {
        assertEquals(List.of(), sentences("\n \n\t\n", false));
    }
}
