package kiln.quantize;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.codec.Flavor;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.TensorInfo;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Rules that the fixtures do not exercise: odd shapes, layer parsing, ordering, name parsing. */
class TypePolicyTest {

    private static TensorInfo t(String name, GgmlType type, long... ne) {
        return new TensorInfo(name, type, ne, 0, 0);
    }

    private static GgufMetadata llama(int layers) {
        GgufMetadata md = new GgufMetadata();
        md.put("general.architecture", GgufValue.ofString("llama"));
        md.put("llama.block_count", GgufValue.ofU32(layers));
        md.put("llama.attention.head_count", GgufValue.ofU32(4));
        md.put("llama.attention.head_count_kv", GgufValue.ofU32(4));
        return md;
    }

    @Test
    void fallbacksForRowsThatAreNotWholeBlocks() {
        TensorInfo odd = t("blk.0.attn_q.weight", GgmlType.BF16, 48, 64);
        TensorInfo k96 = t("blk.0.ffn_up.weight", GgmlType.BF16, 96, 64);
        assertEquals(GgmlType.F16, MainlineTypePolicy.fallback(odd, GgmlType.Q4_K), "48 columns: not even Q5_0 fits");
        assertEquals(GgmlType.Q5_0, MainlineTypePolicy.fallback(k96, GgmlType.Q4_K));
        assertEquals(GgmlType.Q5_1, MainlineTypePolicy.fallback(k96, GgmlType.Q5_K));
        assertEquals(GgmlType.Q8_0, MainlineTypePolicy.fallback(k96, GgmlType.Q6_K));
        assertEquals(GgmlType.IQ4_NL, MainlineTypePolicy.fallback(k96, GgmlType.IQ4_XS));
        assertEquals(GgmlType.Q4_0, MainlineTypePolicy.fallback(k96, GgmlType.Q3_K));
        assertEquals(GgmlType.Q6_0, IkTypePolicy.changeTypeIfNecessary(GgmlType.Q5_K, k96), "ik falls back to its Q6_0");
        KilnException e = assertThrows(KilnException.class, () -> MainlineTypePolicy.fallback(t("x.weight", GgmlType.F32, 16, 4), GgmlType.Q8_0));
        assertTrue(e.getMessage().contains("no tensor type fallback"), e.getMessage());
    }

    @Test
    void layerParsingIsSscanfs() {
        assertEquals(12, TypePolicy.layerOf("blk.12.ffn_down.weight"));
        assertEquals(-1, TypePolicy.layerOf("output.weight"));
        assertEquals(-1, TypePolicy.layerOf("blk.x.ffn_down.weight"));
        assertNull(TypePolicy.parseLayer("blkx.1"));
    }

    @Test
    void mainlineOrdersByLayerThenNameIkKeepsFileOrder() {
        List<TensorInfo> file = List.of(t("token_embd.weight", GgmlType.BF16, 256, 8), t("blk.10.a.weight", GgmlType.BF16, 256, 8),
                t("blk.2.b.weight", GgmlType.BF16, 256, 8), t("blk.2.a.weight", GgmlType.BF16, 256, 8), t("output.weight", GgmlType.BF16, 256, 8));
        assertEquals(List.of("output.weight", "token_embd.weight", "blk.2.a.weight", "blk.2.b.weight", "blk.10.a.weight"),
                TypePolicy.order(file, Flavor.MAINLINE).stream().map(TensorInfo::name).toList());
        assertEquals(file, TypePolicy.order(file, Flavor.IK));
    }

    @Test
    void oneDimensionalAndNormTensorsStayAsTheyAre() {
        List<TensorInfo> ts = List.of(t("blk.0.attn_norm.weight", GgmlType.F32, 256), t("blk.0.ffn_up.weight", GgmlType.BF16, 256, 1),
                t("blk.0.ffn_gate_inp.weight", GgmlType.F32, 256, 8), t("blk.0.ffn_down.weight", GgmlType.BF16, 256, 256));
        for (Flavor fl : Flavor.values()) {
            QuantizePlan p = QuantizePlan.build(llama(1), ts, QuantizeOptions.of(fl, Ftype.parse("Q4_0", fl)), null, false);
            for (QuantizePlan.Item it : p.items()) {
                GgmlType want = it.input().name().contains("ffn_down") ? GgmlType.Q4_0 : it.input().type();
                assertEquals(want, it.target(), fl + " " + it.input().name());
            }
        }
    }

    @Test
    void ftypeNamesAndNumbers() {
        assertEquals(15, Ftype.parse("q4_k_m", Flavor.MAINLINE).value());
        assertEquals(15, Ftype.parse("Q4_K", Flavor.MAINLINE).value());
        assertEquals(12, Ftype.parse("Q3_K", Flavor.IK).value());
        assertEquals("Q8_0", Ftype.parse("7", Flavor.MAINLINE).name());
        assertEquals(GgmlType.Q4_K_R4, Ftype.parse("Q4_K_R4", Flavor.IK).defaultType());
        assertThrows(KilnException.class, () -> Ftype.parse("Q4_K_R4", Flavor.MAINLINE));
    }

    @Test
    void rulesUseTheFirstEqualsSign() {
        TensorTypeRule r = TensorTypeRule.parse("blk\\.[0-3]\\.ffn_(up|gate)=q5_K", false);
        assertTrue(r.matches("blk.2.ffn_gate.weight"));
        assertEquals(GgmlType.Q5_K, r.type());
        assertThrows(KilnException.class, () -> TensorTypeRule.parse("noequals", false));
        assertThrows(KilnException.class, () -> TensorTypeRule.parse("x=", false));
        assertThrows(KilnException.class, () -> TensorTypeRule.parse("([=q4_0", false));
    }
}
