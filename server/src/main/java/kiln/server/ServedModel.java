package kiln.server;

import kiln.runtime.model.Model;
import kiln.runtime.tokenizer.Tokenizer;
import kiln.server.ChatTemplate.Message;

import java.util.List;

/** The loaded model as the endpoints see it: its name, chat template and prompt tokenization. */
final class ServedModel {
    final Model model;
    final String name;
    final ChatTemplate template;
    final boolean reasoning;
    final java.util.function.IntPredicate endOfGeneration;

    ServedModel(Model model, String name, ChatTemplate template, boolean reasoning, java.util.function.IntPredicate endOfGeneration) {
        this.model = model;
        this.endOfGeneration = endOfGeneration;
        this.name = name;
        this.template = template;
        this.reasoning = reasoning;
    }

    Tokenizer tokenizer() {
        return model.tokenizer();
    }

    /**
     * The prompt the template renders for these messages, without a leading BOS text: tokenizing adds the BOS token
     * when the vocabulary asks for it (as llama-server does), so the prompt never starts with two.
     */
    String render(List<Message> messages) {
        String p = template.render(messages, true);
        String bos = template.bosToken();
        if (bos != null && !bos.isEmpty() && tokenizer().addsBos() && p.startsWith(bos)) p = p.substring(bos.length());
        return p;
    }

    /** Prompt text to tokens as {@code kiln run} does: the BOS token added, special tokens parsed. */
    int[] tokenize(String prompt) {
        return tokenizer().encode(prompt, true, true);
    }

    /** The model's name or its file's: an empty or absent name means this model too. */
    void check(String requested) {
        if (requested == null || requested.isEmpty() || requested.equals(name)) return;
        throw ApiError.notFound("model_not_found", "the model '" + requested + "' does not exist; this server serves '" + name + "'");
    }
}
