package kiln.quantize;

import kiln.tensor.testing.FileHashes;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * {@code kiln quantize} reading interleaved (_R4/_R8) inputs: the whole output file equals what ik's llama-quantize
 * writes from the same fixture file (sha256 recorded in {@code interleaved-inputs.sha256}, with its provenance).
 */
class InterleavedInputTest {
    @TempDir
    Path tmp;

    @TestFactory
    List<DynamicTest> requantizingAnInterleavedFileMatchesIk() throws IOException {
        List<DynamicTest> tests = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(
                getClass().getResourceAsStream("interleaved-inputs.sha256")), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.trim().split("\\s+");
                tests.add(DynamicTest.dynamicTest(f[0] + " -> " + f[1], () -> check(f[0], f[1], f[2])));
            }
        }
        return tests;
    }

    private void check(String input, String ftype, String sha256) throws Exception {
        Path in = Fixtures.file(input);
        Path out = tmp.resolve(ftype + ".gguf");
        QuantizeCommand cmd = new QuantizeCommand();
        cmd.out = new PrintStream(OutputStream.nullOutputStream());
        assertEquals(0, CliSupport.run(cmd, new String[] {"--allow-requantize", "--flavor", "ik", in.toString(), out.toString(), ftype, "1"}),
                "exit code");
        assertEquals(sha256, FileHashes.sha256(out), input + " -> " + ftype);
        Files.delete(out);
    }
}
