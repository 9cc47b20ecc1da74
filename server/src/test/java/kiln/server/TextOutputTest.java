package kiln.server;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TextOutputTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void holdsAnIncompleteUtf8SequenceUntilItIsComplete() {
        TextOutput o = new TextOutput(List.of());
        byte[] e = b("é"); // two bytes
        assertEquals("a", o.add(new byte[]{'a', e[0]}));
        assertEquals("é", o.add(new byte[]{e[1]}));
        assertEquals("", o.finish());
    }

    @Test
    void stopStringSplitOverTokensEndsTheTextBeforeIt() {
        TextOutput o = new TextOutput(List.of("\n\nUser:"));
        assertEquals("Hello", o.add(b("Hello")));
        assertEquals("", o.add(b("\n")));   // could start the stop string: held
        assertEquals("", o.add(b("\nUs")));
        assertEquals("", o.add(b("er: more")));
        assertTrue(o.stopped());
        assertEquals("Hello", o.text());
        assertEquals("", o.finish());
    }

    @Test
    void heldTextThatIsNotAStopIsReleased() {
        TextOutput o = new TextOutput(List.of("END"));
        assertEquals("a", o.add(b("aE")));
        assertEquals("EN!", o.add(b("N!")));
        assertEquals("", o.add(b("E")));
        assertEquals("E", o.finish());
        assertFalse(o.stopped());
        assertEquals("aEN!E", o.text());
    }

    @Test
    void theEarliestOfSeveralStopsWins() {
        TextOutput o = new TextOutput(List.of("cd", "b"));
        assertEquals("a", o.add(b("abcd")));
        assertTrue(o.stopped());
    }
}
