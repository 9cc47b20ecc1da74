package kiln.quantize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.GgufValueType;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * For every llama-quantize run recorded in the fixtures (kept files and the "not included" ones alike), Kiln's
 * plan gives every tensor the same type in the same order at the same file offset, and the same metadata keys in
 * the same order with the same values (results/gguf_inventory.json, made from the real outputs). Needs no codecs.
 */
class FixtureTypeChoiceTest {

    @TestFactory
    Stream<DynamicTest> everyRecordedQuantizationGetsTheReferenceTypesAndMetadata() {
        Fixtures.require();
        return FixtureCommands.all().stream().filter(c -> c.rc() == 0)
                .map(c -> DynamicTest.dynamicTest(c.toString(), () -> check(c)));
    }

    private static void check(FixtureCommands c) throws Exception {
        JsonNode inv = new ObjectMapper().readTree(c.dir().resolve("results/gguf_inventory.json").toFile()).get(c.output());
        assertNotNull(inv, "inventory has no entry for " + c.output());
        QuantizePlan plan = c.plan();
        JsonNode tensors = inv.get("tensors");
        List<String> diffs = new ArrayList<>();
        assertEquals(tensors.size(), plan.items().size(), c + ": tensor count");
        for (int i = 0; i < tensors.size(); i++) {
            JsonNode ref = tensors.get(i);
            QuantizePlan.Item it = plan.items().get(i);
            TensorInfo t = it.input();
            String got = t.name() + " " + it.target().name() + " @" + plan.layout().position(i);
            String want = ref.get("name").asText() + " " + ref.get("type").asText() + " @" + ref.get("offset").asLong();
            if (!got.equals(want)) diffs.add("#" + i + " want " + want + " got " + got);
        }
        assertEquals(List.of(), diffs, c + ": tensors differ");
        assertEquals(inv.get("bytes").asLong(), plan.layout().fileSize(), c + ": file size");
        List<String> wantKeys = new ArrayList<>();
        inv.get("kv").fieldNames().forEachRemaining(wantKeys::add);
        assertEquals(wantKeys, new ArrayList<>(plan.metadata().keys()), c + ": metadata keys/order");
        for (Map.Entry<String, GgufValue> e : plan.metadata().asMap().entrySet()) {
            JsonNode want = inv.get("kv").get(e.getKey());
            GgufValue v = e.getValue();
            if (v.isArray()) continue;
            String got = switch (v.type()) {
                case STRING -> v.asString();
                case BOOL -> String.valueOf(v.asBool());
                case FLOAT32, FLOAT64 -> String.valueOf(v.asDouble());
                default -> String.valueOf(v.asLong());
            };
            String exp = want.isBoolean() ? String.valueOf(want.asBoolean()) : want.isFloatingPointNumber() ? String.valueOf(want.asDouble()) : want.asText();
            assertEquals(exp, got, c + ": value of " + e.getKey());
            if (e.getKey().startsWith("quantize.imatrix.") && v.type() != GgufValueType.STRING) {
                // the integer type differs between the tools: u32 in mainline, i32 in ik
                assertEquals(c.flavor() == kiln.tensor.codec.Flavor.IK ? GgufValueType.INT32 : GgufValueType.UINT32, v.type(), e.getKey());
            }
        }
    }

    static Path fixture(String rel) {
        return Fixtures.file(rel);
    }
}
