package kiln.server;

import kiln.runtime.tokenizer.Tokenizer;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class EndOfGenerationTest {
    @Test
    void eosAndTheFilesEndOfTurnToken() {
        Fixtures.require();
        try (GgufFile f = GgufFile.open(Fixtures.file(TestServer.LLAMA))) {
            GgufMetadata md = f.metadata().copy();
            Tokenizer tok = Tokenizer.fromMetadata(md, "tiny-llama");
            EndOfGeneration plain = new EndOfGeneration(tok, md);
            assertTrue(plain.test(tok.eos()));
            assertFalse(plain.test(5));
            md.put("tokenizer.ggml.eot_token_id", GgufValue.ofU32(5));
            assertTrue(new EndOfGeneration(tok, md).test(5));
        }
    }
}
