package kiln.server;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** llama-server's --reasoning-format deepseek: what R1 writes before </think> is reasoning_content. */
class ReasoningSplitterTest {
    /** Feeds the pieces one by one and returns [reasoning, content]. */
    private static String[] split(ReasoningSplitter s, String... pieces) {
        StringBuilder r = new StringBuilder(), c = new StringBuilder();
        for (String p : pieces) {
            var d = s.add(p);
            r.append(d.reasoning());
            c.append(d.content());
        }
        var d = s.finish();
        return new String[]{r.append(d.reasoning()).toString(), c.append(d.content()).toString()};
    }

    @Test
    void promptOpenedThinking_tagSplitOverPieces() {
        String[] rc = split(new ReasoningSplitter(true, true), "Let me ", "think.</th", "ink>\n\n", "The answer", " is 4.");
        assertEquals("Let me think.", rc[0]);
        assertEquals("The answer is 4.", rc[1]);
    }

    @Test
    void generatedOpeningTag() {
        String[] rc = split(new ReasoningSplitter(true, false), "<th", "ink>hmm</think>ok");
        assertEquals("hmm", rc[0]);
        assertEquals("ok", rc[1]);
    }

    @Test
    void unfinishedThinkingStaysReasoning() {
        String[] rc = split(new ReasoningSplitter(true, true), "still </thi");
        assertEquals("still </thi", rc[0]);
        assertEquals("", rc[1]);
    }

    @Test
    void noThinkingIsAllContent() {
        String[] rc = split(new ReasoningSplitter(true, false), "<b>plain</b>");
        assertEquals("", rc[0]);
        assertEquals("<b>plain</b>", rc[1]);
        rc = split(new ReasoningSplitter(false, true), "a</think>b");
        assertEquals("", rc[0]);
        assertEquals("a</think>b", rc[1]);
    }

    @Test
    void promptEndingInThinkTag() {
        assertTrue(ReasoningSplitter.opensThinking("<｜Assistant｜><think>\n"));
        assertFalse(ReasoningSplitter.opensThinking("<｜Assistant｜>"));
    }
}
