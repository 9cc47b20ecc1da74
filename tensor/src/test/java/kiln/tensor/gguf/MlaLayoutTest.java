package kiln.tensor.gguf;

import kiln.tensor.codec.Flavor;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.*;

/** The one detection of DeepSeek's MLA layout and of the tool a file was made for, on the fixtures and damaged copies. */
class MlaLayoutTest {
    private record Inventory(GgufMetadata metadata, List<TensorInfo> tensors) {}

    private static Inventory of(String fixture, UnaryOperator<List<TensorInfo>> edit) {
        try (GgufFile f = GgufFile.open(Fixtures.file(fixture))) {
            return new Inventory(f.metadata().copy(), edit.apply(new ArrayList<>(f.tensors())));
        }
    }

    private static Inventory of(String fixture) {
        return of(fixture, UnaryOperator.identity());
    }

    private static List<TensorInfo> renamed(List<TensorInfo> ts, String from, String to) {
        List<TensorInfo> out = new ArrayList<>();
        for (TensorInfo t : ts) out.add(t.name().equals(from) ? new TensorInfo(to, t.type(), t.ne(), 0, 0) : t);
        return out;
    }

    @Test
    void theFixturesLayoutsAndTools() {
        Inventory ik = of("tiny-deepseek/ik/tiny-deepseek-Q8_0.gguf");
        assertEquals(MlaLayout.IK, MlaLayout.of(ik.tensors()));
        assertEquals(Flavor.IK, Flavor.of(ik.metadata(), ik.tensors()));
        Inventory ml = of("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf");
        assertEquals(MlaLayout.MAINLINE, MlaLayout.of(ml.tensors()));
        assertEquals(Flavor.MAINLINE, Flavor.of(ml.metadata(), ml.tensors()));
        Inventory llama = of("tiny-llama/mainline/tiny-llama-bf16.gguf");
        assertNull(MlaLayout.of(llama.tensors()));
        assertEquals(Flavor.MAINLINE, Flavor.of(llama.metadata(), llama.tensors()));
        Inventory llamaR4 = of("tiny-llama/ik/tiny-llama-Q4_K_R4.gguf");
        assertEquals(Flavor.IK, Flavor.of(llamaR4.metadata(), llamaR4.tensors()), "a type only ik knows");
    }

    @Test
    void attnKvBAloneIsTheLegacyLayoutThatIkWrites() {
        Inventory legacy = of("tiny-deepseek/ik/tiny-deepseek-Q8_0.gguf",
                ts -> ts.stream().filter(t -> !t.name().contains("attn_k_b") && !t.name().contains("attn_v_b")).toList());
        assertEquals(MlaLayout.LEGACY, MlaLayout.of(legacy.tensors()));
        assertEquals(Flavor.IK, Flavor.of(legacy.metadata(), legacy.tensors()));
    }

    @Test
    void oneDamagedNameInLayerZeroDoesNotChangeTheVerdict() {
        Inventory ik = of("tiny-deepseek/ik/tiny-deepseek-Q8_0.gguf",
                ts -> renamed(renamed(ts, "blk.0.attn_kv_b.weight", "blk.0.autn_kv_b.weight"), "blk.0.attn_k_b.weight", "blk.0.attn_k_c.weight"));
        assertEquals(MlaLayout.IK, MlaLayout.of(ik.tensors()));
        assertEquals(Flavor.IK, Flavor.of(ik.metadata(), ik.tensors()));
    }

    @Test
    void flavourAndLayoutNamesParse() {
        assertEquals(Flavor.IK, Flavor.parse("ik_llama.cpp"));
        assertEquals(Flavor.MAINLINE, Flavor.parse("llama.cpp"));
        assertNull(Flavor.parse("vllm"));
        for (MlaLayout l : MlaLayout.values()) assertEquals(l, MlaLayout.parse(l.label()));
    }
}
