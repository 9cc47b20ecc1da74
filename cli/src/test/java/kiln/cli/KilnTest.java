package kiln.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.junit.jupiter.api.Assertions.*;

/** The root command as a user calls it: unknown commands and llama.cpp's multi-letter flags. */
class KilnTest {
    record Outcome(int code, String err) {}

    private static Outcome kiln(String... args) {
        CommandLine cl = Kiln.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        int code = cl.execute(Kiln.conversation(args));
        return new Outcome(code, err.toString());
    }

    @Test
    void unknownCommandIsOneLineListingTheCommands() {
        Outcome o = kiln("frobnicate");
        assertEquals(2, o.code());
        assertEquals(1, o.err().strip().lines().count(), o.err());
        assertTrue(o.err().startsWith("kiln: 'frobnicate' is not a command; the commands are: "), o.err());
        for (String c : new String[] {"bench", "convert", "perplexity", "quantize", "repack", "run", "sweep-bench", "validate"}) {
            assertTrue(o.err().contains(c), c + " is listed: " + o.err());
        }
        assertFalse(o.err().contains("kiln kiln"), o.err());
    }

    @Test
    void runInConversationModeIsChat() {
        assertArrayEquals(new String[] {"chat", "-m", "m.gguf", "-sys", "be brief", "-t", "2"},
                Kiln.conversation(new String[] {"run", "-m", "m.gguf", "-cnv", "-p", "be brief", "-t", "2"}));
        assertArrayEquals(new String[] {"run", "-m", "m.gguf", "-p", "hi"}, Kiln.conversation(new String[] {"run", "-m", "m.gguf", "-p", "hi"}));
        assertArrayEquals(new String[] {"quantize", "-cnv"}, Kiln.conversation(new String[] {"quantize", "-cnv"}));
        // routed: the refusal is chat's (a missing model file), not run's unknown option
        Outcome o = kiln("run", "-m", "no-such-model.gguf", "--conversation");
        assertEquals(2, o.code());
        assertTrue(o.err().startsWith("kiln chat: "), o.err());
    }

    @Test
    void shortOptionsAreNotClustered() {
        // with clustering, -ngl was read as -n gl and -fmoe as -f moe ("internal error: NoSuchFileException: moe")
        Outcome o = kiln("run", "-m", "model.gguf", "-p", "hi", "-ngl", "99");
        assertEquals(2, o.code());
        String err = o.err().strip();
        assertTrue(err.startsWith("kiln run: no CUDA device found (") || err.contains("do not run on a GPU yet"), err);
        o = kiln("run", "-m", "model.gguf", "-p", "hi", "-cnvx");
        assertEquals(2, o.code());
        assertTrue(o.err().startsWith("kiln run: Unknown option: '-cnvx'"), o.err());
        o = kiln("perplexity", "-m", "model.gguf", "-f", "text.txt", "-tbx");
        assertEquals(2, o.code());
        assertTrue(o.err().contains("Unknown option: '-tbx'"), o.err());
    }
}
