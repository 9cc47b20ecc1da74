package kiln.validate;

import kiln.runtime.model.GgufEdit;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * inspect on a general.file_type that is not an integer (found by GgufFuzzTest, seed 4242, iteration 320663: an
 * IllegalStateException, "internal error" in the command): the table and the JSON report it without a file type name.
 */
class InspectOddTypesTest {
    @TempDir
    Path tmp;

    @Test
    void fileTypeOfAnotherTypeIsReportedNotThrown() throws Exception {
        Fixtures.require();
        Path f = GgufEdit.write(Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf"), tmp.resolve("ft.gguf"),
                md -> md.put("general.file_type", GgufValue.ofF32(7.5f)), t -> true);
        try (GgufFile g = GgufFile.open(f)) {
            var json = InspectReport.json(g);
            assertFalse(json.has("file_type"), "no file type from a float");
            assertEquals("f32", json.get("metadata").get("general.file_type").get("type").asText());
            java.io.StringWriter text = new java.io.StringWriter();
            InspectReport.text(g, new java.io.PrintWriter(text, true));
            assertTrue(text.toString().contains("general.file_type") && text.toString().contains("not an integer"), text.toString());
        }
    }
}
