package kiln.server;

import kiln.runtime.tokenizer.Tokenizer;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufMetadata;

import java.nio.file.Path;
import java.util.BitSet;
import java.util.Set;
import java.util.function.IntPredicate;

/**
 * The tokens that end a reply, as llama.cpp's vocabulary collects them: the end-of-sequence token, the file's
 * {@code tokenizer.ggml.eot_token_id} / {@code eom_token_id}, and the end-of-turn tokens of the common chat formats
 * when the vocabulary has them as single tokens (Llama-3's {@code <|eot_id|>}, ChatML's {@code <|im_end|>}, …).
 */
final class EndOfGeneration implements IntPredicate {
    static final Set<String> TURN_ENDS = Set.of("<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>",
            "<|endoftext|>", "<EOT>", "<｜end▁of▁sentence｜>");

    private final BitSet ids = new BitSet();

    EndOfGeneration(Tokenizer tok, GgufMetadata md) {
        int n = tok.vocabSize();
        ids.set(tok.eos());
        for (String key : new String[]{"tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"}) {
            long id = md == null ? -1 : md.getLong(key, -1);
            if (id >= 0 && id < n) ids.set((int) id);
        }
        for (int i = 0; i < n; i++) if (TURN_ENDS.contains(tok.tokenText(i))) ids.set(i);
    }

    static EndOfGeneration of(Path gguf, Tokenizer tok) {
        try (GgufFile f = GgufFile.open(gguf)) {
            return new EndOfGeneration(tok, f.metadata());
        }
    }

    @Override
    public boolean test(int id) {
        return ids.get(id);
    }
}
