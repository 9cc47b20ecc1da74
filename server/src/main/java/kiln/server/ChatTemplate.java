package kiln.server;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import kiln.tensor.KilnException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's chat template ({@code tokenizer.chat_template}, Jinja) rendered with Jinjava for a list of messages,
 * as HF's {@code apply_chat_template} does: variables {@code messages}, {@code bos_token}, {@code eos_token},
 * {@code add_generation_prompt}, and {@code raise_exception}.
 */
public final class ChatTemplate {
    /** A chat message: role and content (content may be null, as for an assistant turn with tool calls only). */
    public record Message(String role, String content) {}

    /** The template llama.cpp falls back to when a file has none (ChatML). */
    static final String CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
            + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private final String source, bosToken, eosToken;
    private final Jinjava jinja;

    public ChatTemplate(String source, String bosToken, String eosToken) {
        this.source = source;
        this.bosToken = bosToken;
        this.eosToken = eosToken;
        this.jinja = new Jinjava(JinjavaConfig.newBuilder()
                .withTrimBlocks(false).withLstripBlocks(false)
                .withFailOnUnknownTokens(false)
                .build());
        jinja.getGlobalContext().registerFunction(new com.hubspot.jinjava.lib.fn.ELFunctionDefinition(
                "", "raise_exception", TemplateFunctions.class, "raiseException", String.class));
    }

    public String source() {
        return source;
    }

    public String bosToken() {
        return bosToken;
    }

    /** The prompt for these messages; a template error is the caller's bad input (KilnException, exit code 2). */
    public String render(List<Message> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> msgs = new ArrayList<>();
        for (Message m : messages) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("role", m.role());
            o.put("content", m.content());
            msgs.add(o);
        }
        Map<String, Object> ctx = new HashMap<>();
        ctx.put("messages", msgs);
        ctx.put("bos_token", bosToken);
        ctx.put("eos_token", eosToken);
        ctx.put("add_generation_prompt", addGenerationPrompt);
        RenderResult r = jinja.renderForResult(source, ctx);
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                for (Throwable c = e.getException(); c != null; c = c.getCause()) {
                    if (c instanceof KilnException k) throw k;
                }
                throw new KilnException("the chat template failed: " + e.getMessage());
            }
        }
        return r.getOutput();
    }

    /** Functions the HF templates call. */
    public static final class TemplateFunctions {
        private TemplateFunctions() {}

        public static String raiseException(String message) {
            throw new KilnException("the chat template refused the messages: " + message);
        }
    }
}
