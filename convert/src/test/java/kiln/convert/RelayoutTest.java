package kiln.convert;

import kiln.tensor.testing.FileHashes;
import kiln.convert.cli.ConvertCommand;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/** kiln convert IN.gguf -o OUT.gguf --mla-layout …: lossless both ways, equal to the other converter's file. */
class RelayoutTest {
    @TempDir
    Path tmp;

    private Path relayout(Path in, String layout) {
        Path out = tmp.resolve(layout + "-" + System.nanoTime() + ".gguf");
        assertEquals(0, CliSupport.run(new ConvertCommand(), in.toString(), "-o", out.toString(), "--mla-layout", layout));
        return out;
    }

    @Test
    void ikToMainlineEqualsMainlineConverterExceptExpertGroups() {
        Fixtures.require();
        Path ml = relayout(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf"), "mainline");
        // ik's file has no expert-group keys, so the re-layout cannot have them either; everything else is mainline's.
        GgufAssert.assertSameModel(Fixtures.file("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf"), ml,
                Set.of("general.name", "general.size_label", "deepseek2.expert_group_count", "deepseek2.expert_group_used_count"));
    }

    @Test
    void mainlineToIkEqualsIkConverterPlusExpertGroups() {
        Fixtures.require();
        Path ik = relayout(Fixtures.file("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf"), "ik");
        GgufAssert.assertSameModel(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf"), ik,
                Set.of("general.name", "general.size_label", "deepseek2.expert_group_count", "deepseek2.expert_group_used_count"));
        Map<String, GgufValue> m = GgufAssert.metadata(ik);
        assertEquals(2L, m.get("deepseek2.expert_group_count").asLong(), "kept, so mainline → ik → mainline is lossless");
    }

    @Test
    void roundTripsAreLossless() {
        Fixtures.require();
        Path ik = Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf");
        Path back = relayout(relayout(ik, "mainline"), "ik");
        assertEquals(FileHashes.sha256(ik), FileHashes.sha256(back), "ik → mainline → ik");
        Path ml = Fixtures.file("tiny-deepseek/mainline/tiny-deepseek-bf16.gguf");
        Path back2 = relayout(relayout(ml, "ik"), "mainline");
        assertEquals(FileHashes.sha256(ml), FileHashes.sha256(back2), "mainline → ik → mainline");
        Path back3 = relayout(relayout(ik, "legacy"), "ik");
        assertEquals(FileHashes.sha256(ik), FileHashes.sha256(back3), "ik → legacy → ik");
    }

    /**
     * llama.cpp cannot load ik's interleaved types, so the mainline layout unpacks them: ik's Q8_0_R8 file becomes
     * exactly the file that ik's Q8_0 file becomes (Q8_0 quantizes the same rows either way), general.file_type
     * included (Q8_0_R8 → Q8_0).
     */
    @Test
    void interleavedIkFileBecomesMainlineWithItsBaseTypes() {
        Fixtures.require();
        Path fromR8 = relayout(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-Q8_0_R8.gguf"), "mainline");
        Path fromQ8 = relayout(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-Q8_0.gguf"), "mainline");
        assertEquals(FileHashes.sha256(fromQ8), FileHashes.sha256(fromR8));
        Path keptForIk = relayout(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-Q8_0_R8.gguf"), "ik");
        try (GgufFile f = GgufFile.open(keptForIk)) {
            assertEquals(kiln.tensor.GgmlType.Q8_0_R8, f.tensor("blk.0.ffn_down.weight").type(), "ik loads _R8: left as it is");
        }
    }

    @Test
    void quantizedIkFileBecomesMainlineWithIdenticalBytes() {
        Fixtures.require();
        Path q = Fixtures.file("tiny-deepseek/ik/tiny-deepseek-Q8_0.gguf");
        Path ml = relayout(q, "mainline");
        try (GgufFile a = GgufFile.open(q); GgufFile b = GgufFile.open(ml)) {
            List<String> expected = new ArrayList<>();
            for (TensorInfo t : a.tensors()) if (!t.name().endsWith("attn_kv_b.weight")) expected.add(t.name());
            assertEquals(expected, GgufAssert.names(b.tensors()));
            for (TensorInfo t : b.tensors()) {
                TensorInfo s = a.tensor(t.name());
                assertEquals(s.type(), t.type());
                assertEquals(-1, a.data(s).mismatch(b.data(t)), t.name());
            }
            TensorInfo kb = b.tensor("blk.0.attn_k_b.weight");
            assertArrayEquals(new long[]{64, 256, 4}, kb.ne());
            assertEquals(1L, b.metadata().get("deepseek2.attention.head_count_kv").asLong());
            assertEquals(96L, b.metadata().get("deepseek2.attention.key_length_mla").asLong());
        }
    }

    @Test
    void rebuildingKvBFromQuantizedHalvesIsRefused() {
        Fixtures.require();
        Path ml = relayout(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-Q8_0.gguf"), "mainline");
        Path out = tmp.resolve("refused.gguf");
        int rc = CliSupport.run(new ConvertCommand(), ml.toString(), "-o", out.toString(), "--mla-layout", "ik");
        assertEquals(2, rc);
        assertFalse(java.nio.file.Files.exists(out));
    }

    @Test
    void convertedMainlineReLayoutsToConvertedIk() {
        Fixtures.require();
        Path ml = tmp.resolve("ml.gguf");
        assertEquals(0, CliSupport.run(new ConvertCommand(), Fixtures.file("tiny-deepseek/hf").toString(), "-o", ml.toString(),
                "--mla-layout", "mainline", "--no-progress"));
        Path ik = relayout(ml, "ik");
        assertNotEquals(FileHashes.sha256(ml), FileHashes.sha256(ik));
        GgufAssert.assertSameModel(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf"), ik,
                Set.of("general.name", "general.size_label", "deepseek2.expert_group_count", "deepseek2.expert_group_used_count"));
    }

    @Test
    void nonDeepseekGgufIsRefused() {
        Fixtures.require();
        Path out = tmp.resolve("llama.gguf");
        assertEquals(2, CliSupport.run(new ConvertCommand(), Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf").toString(),
                "-o", out.toString(), "--mla-layout", "mainline"));
        assertFalse(java.nio.file.Files.exists(out));
    }

    @Test
    void reLayoutCanSplitItsOutput() {
        Fixtures.require();
        Path out = tmp.resolve("split.gguf");
        assertEquals(0, CliSupport.run(new ConvertCommand(), Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf").toString(),
                "-o", out.toString(), "--mla-layout", "mainline", "--split-max-size", "4M", "--no-progress"));
        Path first = tmp.resolve("split-00001-of-00004.gguf");
        Path single = relayout(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf"), "mainline");
        try (GgufFile s = GgufFile.open(single); GgufFile set = GgufFile.open(first)) {
            assertEquals(GgufAssert.names(s.tensors()), GgufAssert.names(set.tensors()));
            for (TensorInfo t : s.tensors()) assertEquals(-1, s.data(t).mismatch(set.data(set.tensor(t.name()))), t.name());
        }
    }
}
