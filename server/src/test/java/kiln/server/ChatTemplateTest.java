package kiln.server;

import kiln.server.ChatTemplate.Message;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * The published chat templates of Llama-3-Instruct, DeepSeek-R1 and DeepSeek-V3 (test resources, copied from the
 * models' tokenizer_config.json) rendered for fixed messages equal what HF's {@code apply_chat_template} renders —
 * the expected strings below are HF's, worked out from the templates' Jinja semantics (filters bind tighter than
 * {@code +}, {@code split(...)[-1]} is the last piece, {@code namespace} attributes persist across the loop).
 */
class ChatTemplateTest {
    static final String DS_BOS = "<｜begin▁of▁sentence｜>", DS_EOS = "<｜end▁of▁sentence｜>";

    static String resource(String name) throws IOException {
        try (InputStream in = ChatTemplateTest.class.getResourceAsStream("/templates/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static final List<Message> CONVERSATION = List.of(
            new Message("system", "You are helpful."),
            new Message("user", "Hi there "),
            new Message("assistant", "<think>\nThe user greets me.\n</think>\n\nHello! "),
            new Message("user", "What is 2+2?"));

    @Test
    void llama3() throws IOException {
        ChatTemplate t = new ChatTemplate(resource("llama3.jinja"), "<|begin_of_text|>", "<|end_of_text|>");
        String h = "<|start_header_id|>", e = "<|end_header_id|>\n\n";
        assertEquals("<|begin_of_text|>" + h + "system" + e + "You are helpful.<|eot_id|>"
                        + h + "user" + e + "Hi there<|eot_id|>"
                        + h + "assistant" + e + "<think>\nThe user greets me.\n</think>\n\nHello!<|eot_id|>"
                        + h + "user" + e + "What is 2+2?<|eot_id|>"
                        + h + "assistant" + e,
                t.render(CONVERSATION, true));
        assertEquals("<|begin_of_text|>" + h + "user" + e + "x<|eot_id|>", t.render(List.of(new Message("user", " x\n")), false));
    }

    @Test
    void deepseekR1() throws IOException {
        ChatTemplate t = new ChatTemplate(resource("deepseek-r1.jinja"), DS_BOS, DS_EOS);
        assertEquals(DS_BOS + "You are helpful.<｜User｜>Hi there <｜Assistant｜>\n\nHello! " + DS_EOS
                        + "<｜User｜>What is 2+2?<｜Assistant｜><think>\n",
                t.render(CONVERSATION, true));
        assertEquals(DS_BOS + "<｜User｜>x", t.render(List.of(new Message("user", "x")), false));
    }

    @Test
    void deepseekV3() throws IOException {
        ChatTemplate t = new ChatTemplate(resource("deepseek-v3.jinja"), DS_BOS, DS_EOS);
        List<Message> msgs = List.of(new Message("system", "A"), new Message("system", "B"), new Message("user", "Hi"),
                new Message("assistant", "Hello"), new Message("user", "Bye"));
        assertEquals(DS_BOS + "A\n\nB<｜User｜>Hi<｜Assistant｜>Hello" + DS_EOS + "<｜User｜>Bye<｜Assistant｜>", t.render(msgs, true));
    }

    @Test
    void chatmlFallback() {
        ChatTemplate t = new ChatTemplate(ChatTemplate.CHATML, "<s>", "</s>");
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", t.render(List.of(new Message("user", "Hi")), true));
    }

    @Test
    void raiseExceptionIsBadInput() {
        ChatTemplate t = new ChatTemplate("{{ raise_exception('roles must alternate') }}", "", "");
        var e = assertThrows(kiln.tensor.KilnException.class, () -> t.render(List.of(new Message("user", "x")), true));
        assertEquals(true, e.getMessage().contains("roles must alternate"), e.getMessage());
    }
}
