package kiln.tensor.cli;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/** Progress reports: in place on a terminal, whole lines elsewhere (nohup, CI), nothing when off. */
class ProgressTest {

    @Test
    void withoutATerminalProgressIsWholeLines() {
        // the tests run without a console: the default is lines every few seconds
        assertEquals(System.console() == null ? Progress.Mode.LINES : Progress.Mode.TERMINAL, new Progress("x", 1, 1).mode());
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Progress p = new Progress("quantize Q4_K_M", 3, 300, Progress.Mode.LINES, 0, new PrintStream(buf, true, StandardCharsets.UTF_8));
        p.advance(1, 100);
        p.advance(1, 100);
        p.advance(1, 100);
        p.done();
        String out = buf.toString(StandardCharsets.UTF_8);
        assertFalse(out.contains("\r"), out);
        assertEquals(4, out.lines().count(), out);
        assertTrue(out.lines().allMatch(l -> l.startsWith("quantize Q4_K_M: ")), out);
        assertTrue(out.contains("3/3 tensors, 300 B/300 B"), out);
    }

    @Test
    void itemsWithoutBytesShowNoByteCounts() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Progress p = new Progress("perplexity", "chunks", 4, 0, Progress.Mode.LINES, 0, new PrintStream(buf, true, StandardCharsets.UTF_8));
        p.advance(1, 0);
        p.advance(3, 0);
        p.done();
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.lines().allMatch(l -> l.startsWith("perplexity: ")), out);
        assertTrue(out.contains("4/4 chunks, "), out);
        assertFalse(out.contains(" B/") || out.contains("tensors"), out);
        ByteArrayOutputStream open = new ByteArrayOutputStream();
        Progress q = new Progress("perplexity", "chunks", 0, 0, Progress.Mode.LINES, 0, new PrintStream(open, true, StandardCharsets.UTF_8));
        q.advance(7, 0);
        assertTrue(open.toString(StandardCharsets.UTF_8).startsWith("perplexity: 7 chunks, "), open.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aShortJobStaysQuietAsLines() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Progress p = new Progress("convert", 2, 200, Progress.Mode.LINES, Progress.LINE_INTERVAL_NANOS, new PrintStream(buf, true, StandardCharsets.UTF_8));
        p.advance(1, 100);
        p.advance(1, 100);
        p.done();
        assertEquals("", buf.toString(StandardCharsets.UTF_8));
    }

    @Test
    void onATerminalTheLineIsRewrittenAndOffIsSilent() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Progress p = new Progress("repacking", 1, 10, true, new PrintStream(buf, true, StandardCharsets.UTF_8));
        p.advance(1, 10);
        p.done();
        String out = buf.toString(StandardCharsets.UTF_8);
        assertTrue(out.startsWith("\rrepacking: 1/1 tensors"), out);
        assertTrue(out.endsWith("\n"), out);
        ByteArrayOutputStream none = new ByteArrayOutputStream();
        Progress off = new Progress("x", 1, 10, false, new PrintStream(none, true, StandardCharsets.UTF_8));
        off.advance(1, 10);
        off.done();
        assertEquals("", none.toString(StandardCharsets.UTF_8));
    }
}
