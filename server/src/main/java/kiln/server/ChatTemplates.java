package kiln.server;

import kiln.runtime.tokenizer.Tokenizer;
import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.io.TextFile;

import java.nio.file.Path;

/** Where a model's chat template comes from: --chat-template-file, else the GGUF's tokenizer.chat_template, else ChatML. */
final class ChatTemplates {
    static final String KEY = "tokenizer.chat_template";

    private ChatTemplates() {}

    /** The template and a note saying which one it is (for the start-up line). */
    record Choice(ChatTemplate template, String origin) {}

    /** The --chat-template-file text, read before the model is loaded so that a bad file fails fast; null: none given. */
    static String readFile(Path templateFile) {
        if (templateFile == null) return null;
        String source = TextFile.read(templateFile);
        if (source.isBlank()) throw new KilnException(templateFile + ": the chat template is empty");
        return source;
    }

    static Choice choose(Path gguf, Path templateFile, String fileSource, Tokenizer tok) {
        String source, origin;
        if (templateFile != null) {
            source = fileSource;
            origin = templateFile.toString();
        } else {
            try (GgufFile f = GgufFile.open(gguf)) {
                source = f.metadata().getString(KEY, null);
            }
            origin = source != null ? KEY : "ChatML (the file has no " + KEY + ")";
            if (source == null) source = ChatTemplate.CHATML;
        }
        if (source.isBlank()) throw new KilnException(gguf + ": " + KEY + " is empty (give --chat-template-file)");
        ChatTemplate t = new ChatTemplate(source, tok.tokenText(tok.bos()), tok.tokenText(tok.eos()));
        try {
            t.render(java.util.List.of(new ChatTemplate.Message("user", "Hi")), true);
        } catch (KilnException e) {
            throw new KilnException(origin + ": the chat template cannot render a one-message conversation: " + e.getMessage());
        }
        return new Choice(t, origin);
    }
}
