package kiln.server;

import kiln.runtime.eval.Generation;
import kiln.runtime.model.Model;
import kiln.runtime.model.ModelLoader;
import kiln.runtime.sample.Sampler;
import kiln.server.ChatTemplate.Message;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code kiln chat} with two messages piped in: each reply is kiln run's greedy text on the conversation so far
 * rendered with the template (the second turn includes the first reply), one line each.
 */
class ChatCommandTest {
    private static String kilnRun(Model m, ChatTemplate t, List<Message> msgs, int n) {
        String p = t.render(msgs, true);
        String bos = m.tokenizer().tokenText(m.tokenizer().bos());
        if (p.startsWith(bos)) p = p.substring(bos.length());
        Generation.Result r = Generation.run(m, m.tokenizer().encode(p, true, true), n, 2048, new Sampler(m.nVocab(), 0, 40, 0.95f, 0.05f, 1), false, null);
        return m.tokenizer().decode(r.generated());
    }

    @Test
    void twoTurnsPipedIn() throws Exception {
        Fixtures.require();
        String gguf = Fixtures.file(TestServer.LLAMA).toString();
        ChatCommand cmd = new ChatCommand();
        cmd.in = new ByteArrayInputStream("ROMEO: Good morrow.\n\nJULIET: Ay me!\n".getBytes(StandardCharsets.UTF_8));
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        cmd.out = new PrintStream(buf, true, StandardCharsets.UTF_8);
        assertEquals(0, CliSupport.run(cmd, "-m", gguf, "-n", "10", "--temp", "0", "-c", "256", "-t", "2", "--numerics", "mainline"));
        String[] replies = buf.toString(StandardCharsets.UTF_8).split("\n", -1);

        try (Model m = ModelLoader.load(Fixtures.file(TestServer.LLAMA), TestServer.options(256))) {
            ChatTemplate t = new ChatTemplate(ChatTemplate.CHATML, m.tokenizer().tokenText(m.tokenizer().bos()), "");
            String first = kilnRun(m, t, List.of(new Message("user", "ROMEO: Good morrow.")), 10);
            String second = kilnRun(m, t, List.of(new Message("user", "ROMEO: Good morrow."), new Message("assistant", first),
                    new Message("user", "JULIET: Ay me!")), 10);
            String expected = first + "\n" + second + "\n";
            assertEquals(expected, buf.toString(StandardCharsets.UTF_8), "replies: " + List.of(replies));
        }
    }

    @Test
    void badOptionIsOneLineAndExitCode2() {
        ChatCommand cmd = new ChatCommand();
        cmd.in = new ByteArrayInputStream(new byte[0]);
        assertEquals(2, CliSupport.run(cmd, "-m", "x.gguf", "--temp", "-1"));
    }

    @Test
    void brokenTemplateFileIsExitCode2() throws Exception {
        Fixtures.require();
        java.nio.file.Path empty = java.nio.file.Files.createTempFile("kiln-template", ".jinja");
        java.nio.file.Path broken = java.nio.file.Files.createTempFile("kiln-template", ".jinja");
        try {
            java.nio.file.Files.writeString(broken, "{% for m in messages %}{{ m.content }");
            String gguf = Fixtures.file(TestServer.LLAMA).toString();
            for (java.nio.file.Path p : List.of(empty, broken)) {
                ChatCommand cmd = new ChatCommand();
                cmd.in = new ByteArrayInputStream(new byte[0]);
                assertEquals(2, CliSupport.run(cmd, "-m", gguf, "--chat-template-file", p.toString()), p.toString());
            }
        } finally {
            java.nio.file.Files.deleteIfExists(empty);
            java.nio.file.Files.deleteIfExists(broken);
        }
    }
}
