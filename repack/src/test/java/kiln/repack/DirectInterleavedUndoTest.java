package kiln.repack;

import kiln.tensor.testing.FileHashes;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * ik's files quantized directly to an interleaved type (not by {@code --repack}): ik quantizes the base type and
 * repacks, so {@code --undo} must give exactly ik's base quantization; and a Q4_K_R4 file (a Q4_K_S-like mix with no
 * base file in the fixtures) must come back byte for byte from undo + repack of the same tensors.
 */
class DirectInterleavedUndoTest {
    @TempDir
    Path tmp;

    @Test
    void q8_0_r8UndoesToIksQ8_0() {
        undoEquals("tiny-deepseek/ik/tiny-deepseek-Q8_0_R8.gguf", "tiny-deepseek/ik/tiny-deepseek-Q8_0.gguf");
    }

    @Test
    void q6_k_r4UndoesToIksQ6_K() {
        undoEquals("tiny-deepseek/ik/tiny-deepseek-Q6_K_R4.gguf", "tiny-deepseek/ik/tiny-deepseek-Q6_K.gguf");
    }

    @Test
    void iq4_xs_r8UndoesToIksIQ4_XS() {
        undoEquals("tiny-deepseek/ik/tiny-deepseek-IQ4_XS_R8.gguf", "tiny-deepseek/ik/tiny-deepseek-IQ4_XS.gguf");
    }

    @Test
    void q4_k_r4SurvivesUndoAndRepack() {
        undoRepack("tiny-deepseek/ik/tiny-deepseek-Q4_K_R4.gguf");
        undoRepack("tiny-llama/ik/tiny-llama-Q4_K_R4.gguf");
    }

    private void undoEquals(String packed, String base) {
        Path out = tmp.resolve("undone.gguf");
        assertEquals(0, TestFiles.repack("--undo", Fixtures.file(packed).toString(), out.toString()));
        assertEquals(FileHashes.sha256(Fixtures.file(base)), FileHashes.sha256(out));
    }

    private void undoRepack(String packed) {
        Path in = Fixtures.file(packed);
        Path undone = tmp.resolve("undone.gguf"), again = tmp.resolve("again.gguf");
        List<String> names = new ArrayList<>();
        try (GgufFile f = GgufFile.open(in)) {
            for (TensorInfo t : f.tensors()) if (t.type().isInterleaved()) names.add("^" + Pattern.quote(t.name()) + "$");
        }
        assertEquals(0, TestFiles.repack("--undo", in.toString(), undone.toString()));
        try (GgufFile f = GgufFile.open(undone)) {
            assertEquals(14, f.metadata().getLong("general.file_type", -1), "Q4_K_R4 without Q6_K ffn_down is a Q4_K_S mix");
            assertEquals(0, f.tensors().stream().filter(t -> t.type().isInterleaved()).count());
        }
        List<String> args = new ArrayList<>(List.of(undone.toString(), again.toString()));
        for (String n : names) args.addAll(List.of("--repack-pattern", n));
        assertEquals(0, TestFiles.repack(args.toArray(String[]::new)));
        assertEquals(FileHashes.sha256(in), FileHashes.sha256(again), packed);
    }
}
