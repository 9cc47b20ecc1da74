package kiln.quantize;

import kiln.tensor.testing.FileHashes;
import kiln.tensor.cli.CliSupport;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * ik's COPY ftype: {@code kiln quantize --flavor ik IN OUT COPY} writes the file ik's llama-quantize wrote (sha256 in
 * {@code ik-copy.sha256}): every tensor copied, the input's own general.file_type (or ik's guess of it), the imatrix
 * keys when given one.
 */
class IkCopyFileIdentityTest {
    @TempDir
    Path tmp;

    @TestFactory
    List<DynamicTest> kilnWritesIksCopy() throws IOException {
        return IqkFileIdentityTest.fromShaList("ik-copy.sha256", tmp);
    }

    /**
     * An input without general.file_type: ik's loader guesses it from the most common tensor type (bf16 here) and
     * marks it guessed, 32 | 1024 — recorded: ik's llama-quantize IN OUT COPY 2 on
     * {@code SyntheticGguf.write("moe4", IN, false)} (sha256 c6555c18…) wrote a file of sha256 8643979c….
     */
    @Test
    void copyOfAFileWithoutFileTypeWritesIksGuess() throws Exception {
        Path in = SyntheticGguf.write("moe4", tmp.resolve("noft.gguf"), false);
        assertEquals("c6555c180c28a40b336d173428dfb04d721985af3283ae12e91de2dd1fdae9e6", FileHashes.sha256(in), "the input ik was given");
        Path out = tmp.resolve("noft-COPY.gguf");
        QuantizeCommand cmd = new QuantizeCommand();
        cmd.out = new PrintStream(OutputStream.nullOutputStream());
        assertEquals(0, CliSupport.run(cmd, "--flavor", "ik", in.toString(), out.toString(), "COPY", "2"));
        assertEquals("8643979cd4f5e4a9e0a2e5da7e68817eb6874c6ab6150c62f3c6c17266b24574", FileHashes.sha256(out));
    }
}
