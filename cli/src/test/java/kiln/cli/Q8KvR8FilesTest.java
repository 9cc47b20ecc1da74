package kiln.cli;

import static kiln.tensor.testing.FileHashes.sha256;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Q8_KV_R8 through the whole tool chain, against ik_llama.cpp's files ({@code q8kv-r8-files.sha256}, whose header says
 * how they were made): {@code kiln quantize} to Q8_KV gives ik's file, {@code kiln repack} of it gives the Q8_KV_R8 file
 * ik's quantization writes, {@code kiln repack --undo} gives the Q8_KV file back, {@code kiln quantize} straight to
 * Q8_KV_R8 gives the same file, and {@code kiln quantize} with the Q8_KV_R8 file as input gives ik's Q8_0 and Q4_K_M
 * files. Without the fixtures each model's test is reported as skipped.
 */
class Q8KvR8FilesTest {
    @TempDir
    Path tmp;

    @TestFactory
    List<DynamicTest> kilnWritesIksFiles() throws IOException {
        Map<String, Map<String, String>> byModel = new LinkedHashMap<>();
        Map<String, String> inputs = new LinkedHashMap<>();
        try (InputStream in = Objects.requireNonNull(getClass().getResourceAsStream("q8kv-r8-files.sha256"));
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank() || line.startsWith("#")) continue;
                String[] f = line.trim().split("\\s+"); // model input file sha256
                inputs.put(f[0], f[1]);
                byModel.computeIfAbsent(f[0], m -> new LinkedHashMap<>()).put(f[2], f[3]);
            }
        }
        List<DynamicTest> tests = new ArrayList<>();
        byModel.forEach((model, sha) -> tests.add(DynamicTest.dynamicTest(model, () -> chain(model, inputs.get(model), sha))));
        return tests;
    }

    private void chain(String model, String input, Map<String, String> sha) {
        Path bf16 = Fixtures.file(model + "/" + input);
        Path q8kv = tmp.resolve(model + "-Q8_KV.gguf"), r8 = tmp.resolve(model + "-Q8_KV_R8.gguf");
        kiln("quantize", "--flavor", "ik", "--pure", bf16.toString(), q8kv.toString(), "Q8_KV", "2");
        assertEquals(sha.get("q8kv"), sha256(q8kv), "kiln quantize Q8_KV differs from ik's");

        kiln("repack", q8kv.toString(), r8.toString());
        assertEquals(sha.get("q8kv_r8"), sha256(r8), "kiln repack of the Q8_KV file differs from ik's Q8_KV_R8 file");

        Path undone = tmp.resolve(model + "-undone.gguf");
        kiln("repack", "--undo", r8.toString(), undone.toString());
        assertEquals(sha.get("q8kv"), sha256(undone), "kiln repack --undo does not give the Q8_KV file back");

        Path direct = tmp.resolve(model + "-direct.gguf");
        kiln("quantize", "--flavor", "ik", "--pure", bf16.toString(), direct.toString(), "Q8_KV_R8", "2");
        assertEquals(sha.get("q8kv_r8"), sha256(direct), "kiln quantize Q8_KV_R8 differs from ik's");

        for (String type : new String[] {"Q8_0", "Q4_K_M"}) {
            Path out = tmp.resolve(model + "-from-r8-" + type + ".gguf");
            kiln("quantize", "--flavor", "ik", "--allow-requantize", r8.toString(), out.toString(), type, "1");
            assertEquals(sha.get(type.toLowerCase(java.util.Locale.ROOT)), sha256(out), "kiln quantize " + type + " of the Q8_KV_R8 file differs from ik's");
        }
    }

    private static void kiln(String... args) {
        var cl = Kiln.commandLine();
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));
        cl.setOut(new PrintWriter(new StringWriter(), true));
        assertEquals(0, cl.execute(args), "kiln " + String.join(" ", args) + ": " + err);
    }

}
