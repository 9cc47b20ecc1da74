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

    static Choice choose(Path gguf, Path templateFile, Tokenizer tok) {
        String source, origin;
        if (templateFile != null) {
            source = TextFile.read(templateFile);
            origin = templateFile.toString();
        } else {
            try (GgufFile f = GgufFile.open(gguf)) {
                source = f.metadata().getString(KEY, null);
            }
            origin = source != null ? KEY : "ChatML (the file has no " + KEY + ")";
            if (source == null) source = ChatTemplate.CHATML;
        }
        if (source.isBlank()) throw new KilnException((templateFile != null ? templateFile : gguf) + ": the chat template is empty");
        return new Choice(new ChatTemplate(source, tok.tokenText(tok.bos()), tok.tokenText(tok.eos())), origin);
    }
}
