package kiln.repack;

import kiln.tensor.testing.FileHashes;
import kiln.tensor.GgmlType;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ik's tensor selection and metadata rules on synthetic files (cases the fixtures do not contain). */
class RepackRulesTest {
    @TempDir
    Path tmp;

    private Path sample() {
        return new SyntheticGguf()
                .kv("general.file_type", GgufValue.ofU32(15))
                .kv("general.quantization_version", GgufValue.ofU32(2))
                .kv("llama.block_count", GgufValue.ofU32(1))
                .tensor("token_embd.weight", GgmlType.Q4_K, 256, 8)              // never repacked
                .tensor("blk.0.attn_q.weight", GgmlType.Q4_K, 256, 8)            // → Q4_K_R4
                .tensor("blk.0.attn_k.weight", GgmlType.Q4_K, 256, 6)            // ne1 % 4 != 0: stays
                .tensor("blk.0.attn_v.weight", GgmlType.Q8_0, 64, 12)            // ne1 % 8 != 0: stays
                .tensor("blk.0.ffn_down_exps.weight", GgmlType.Q6_K, 256, 4, 3) // ne1 = 4: → Q6_K_R4
                .tensor("blk.0.ffn_up_exps.weight", GgmlType.Q8_0, 32, 4, 2)    // ne1 = 4 (8 rows in all): stays
                .tensor("blk.0.ffn_gate.weight", GgmlType.Q5_0, 32, 4)           // → Q5_0_R4
                .tensor("blk.0.ffn_up.weight", GgmlType.Q4_1, 32, 8)             // no interleaved form: stays
                .tensor("blk.0.attn_norm.weight", GgmlType.F32, 256)
                .tensor("output.weight", GgmlType.BF16, 256, 16)                 // → BF16_R16 (AVX512-BF16 build)
                .write(tmp.resolve("in.gguf"), 1);
    }

    private static List<TensorInfo> tensors(Path p) {
        try (GgufFile f = GgufFile.open(p)) {
            return f.tensors();
        }
    }

    @Test
    void selectsTensorsLikeIk() {
        Path in = sample(), out = tmp.resolve("out.gguf");
        assertEquals(0, TestFiles.repack(in.toString(), out.toString()));
        List<TensorInfo> ts = tensors(out);
        assertEquals(List.of(GgmlType.Q4_K, GgmlType.Q4_K_R4, GgmlType.Q4_K, GgmlType.Q8_0, GgmlType.Q6_K_R4, GgmlType.Q8_0,
                GgmlType.Q5_0_R4, GgmlType.Q4_1, GgmlType.F32, GgmlType.BF16_R16), ts.stream().map(TensorInfo::type).toList());
        try (GgufFile a = GgufFile.open(in); GgufFile b = GgufFile.open(out)) {
            for (TensorInfo t : a.tensors()) {
                TensorInfo u = b.tensor(t.name());
                boolean same = java.util.Arrays.equals(a.data(t).toArray(ValueLayout.JAVA_BYTE), b.data(u).toArray(ValueLayout.JAVA_BYTE));
                assertEquals(t.type() == u.type(), same, t.name() + ": unchanged tensors are copied byte for byte, repacked ones change");
            }
            assertEquals(214, b.metadata().getLong("general.file_type", -1));
        }
        Path back = tmp.resolve("back.gguf");
        assertEquals(0, TestFiles.repack("--undo", out.toString(), back.toString()));
        assertEquals(FileHashes.sha256(in), FileHashes.sha256(back));
    }

    @Test
    void keepBf16AndPatterns() {
        Path in = sample(), out = tmp.resolve("out.gguf");
        assertEquals(0, TestFiles.repack(in.toString(), out.toString(), "--keep-bf16", "--repack-pattern", "exps,attn_[qk]"));
        List<GgmlType> types = tensors(out).stream().map(TensorInfo::type).toList();
        assertEquals(List.of(GgmlType.Q4_K, GgmlType.Q4_K_R4, GgmlType.Q4_K, GgmlType.Q8_0, GgmlType.Q6_K_R4, GgmlType.Q8_0,
                GgmlType.Q5_0, GgmlType.Q4_1, GgmlType.F32, GgmlType.BF16), types);
        // undo with a pattern unpacks only the matching tensors
        Path half = tmp.resolve("half.gguf");
        assertEquals(0, TestFiles.repack("--undo", out.toString(), half.toString(), "--repack-pattern", "exps"));
        assertEquals(GgmlType.Q4_K_R4, tensors(half).get(1).type());
        assertEquals(GgmlType.Q6_K, tensors(half).get(4).type());
    }

    @Test
    void nothingToDoWritesNothing() {
        Path in = new SyntheticGguf().kv("general.file_type", GgufValue.ofU32(3))
                .tensor("blk.0.ffn_up.weight", GgmlType.Q4_1, 32, 8).write(tmp.resolve("q41.gguf"), 2);
        Path out = tmp.resolve("out.gguf");
        assertEquals(0, TestFiles.repack(in.toString(), out.toString()));
        assertFalse(Files.exists(out));
        assertEquals(0, TestFiles.repack("--undo", in.toString(), out.toString()));
        assertFalse(Files.exists(out));
    }

    @Test
    void missingFileTypeIsGuessedAndRemovedAgainByUndo() {
        Path in = new SyntheticGguf().kv("general.quantization_version", GgufValue.ofU32(2))
                .tensor("a.weight", GgmlType.Q8_0, 32, 8).tensor("b.weight", GgmlType.Q8_0, 32, 8)
                .tensor("c.weight", GgmlType.Q4_0, 32, 8).write(tmp.resolve("in.gguf"), 3);
        Path out = tmp.resolve("out.gguf"), back = tmp.resolve("back.gguf");
        assertEquals(0, TestFiles.repack(in.toString(), out.toString()));
        try (GgufFile f = GgufFile.open(out)) {
            // ik: guessed MOSTLY_Q8_0 | GUESSED, not in repacked_ftype's map, written as is at the end
            assertEquals(7 | 1024, f.metadata().getLong("general.file_type", -1));
            assertEquals("general.file_type", List.copyOf(f.metadata().keys()).getLast());
        }
        assertEquals(0, TestFiles.repack("--undo", out.toString(), back.toString()));
        assertEquals(FileHashes.sha256(in), FileHashes.sha256(back));
    }

    @Test
    void f16BecomesBf16R16AndUndoGivesBf16() {
        Path in = new SyntheticGguf().kv("general.file_type", GgufValue.ofU32(1))
                .tensor("w.weight", GgmlType.F16, 4, 16).write(tmp.resolve("f16.gguf"), 4);
        Path out = tmp.resolve("out.gguf"), back = tmp.resolve("back.gguf");
        assertEquals(0, TestFiles.repack(in.toString(), out.toString()));
        assertEquals(GgmlType.BF16_R16, tensors(out).getFirst().type());
        assertEquals(0, TestFiles.repack("--undo", out.toString(), back.toString()));
        try (GgufFile a = GgufFile.open(in); GgufFile b = GgufFile.open(back)) {
            assertEquals(GgmlType.BF16, b.tensors().getFirst().type());
            assertEquals(1, b.metadata().getLong("general.file_type", -1), "MOSTLY_F16 is not in ik's map and stays");
            var src = a.data(a.tensors().getFirst());
            var dst = b.data(b.tensors().getFirst());
            for (long i = 0; i < 64; i++) {
                float f = Float.float16ToFloat(src.get(kiln.tensor.LittleEndian.SHORT, 2 * i));
                assertEquals((short) (Float.floatToRawIntBits(f) >>> 16), dst.get(kiln.tensor.LittleEndian.SHORT, 2 * i));
            }
        }
    }

    @Test
    void badInputIsAOneLineUsageError() {
        Path in = sample();
        assertEquals(2, TestFiles.repack(in.toString(), tmp.resolve("o.gguf").toString(), "--repack-pattern", "("));
        assertEquals(2, TestFiles.repack(in.toString(), tmp.resolve("o.gguf").toString(), "--file-type", "Q4_K_M"));
        assertEquals(2, TestFiles.repack(tmp.resolve("missing.gguf").toString(), tmp.resolve("o.gguf").toString()));
        assertEquals(2, TestFiles.repack(in.toString(), in.toString()));
        assertFalse(Files.exists(tmp.resolve("o.gguf")));
    }

    @Test
    void typesKilnCannotRepackFailUnlessSkipped() {
        Path in = new SyntheticGguf().kv("general.file_type", GgufValue.ofU32(30))
                .tensor("blk.0.attn_v.weight", GgmlType.IQ2_BN, 256, 4)
                .tensor("blk.0.attn_q.weight", GgmlType.IQ4_XS, 256, 8).write(tmp.resolve("iq.gguf"), 5);
        Path out = tmp.resolve("out.gguf");
        assertEquals(2, TestFiles.repack(in.toString(), out.toString()));
        assertFalse(Files.exists(out));
        assertEquals(0, TestFiles.repack(in.toString(), out.toString(), "--skip-unsupported"));
        assertEquals(List.of(GgmlType.IQ2_BN, GgmlType.IQ4_XS_R8), tensors(out).stream().map(TensorInfo::type).toList());
    }

    /** IQ1_S_R4 is ik's own four-row type, not a repack: --undo refuses it with one line saying to requantize. */
    @Test
    void undoRefusesIksOwnFourRowTypes() {
        Path in = new SyntheticGguf().kv("general.file_type", GgufValue.ofU32(30))
                .tensor("blk.0.attn_v.weight", GgmlType.IQ1_S_R4, 256, 4).write(tmp.resolve("iq1.gguf"), 5);
        Path out = tmp.resolve("back.gguf");
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.err;
        System.setErr(new java.io.PrintStream(err, true, java.nio.charset.StandardCharsets.UTF_8));
        try {
            assertEquals(2, TestFiles.repack("--undo", in.toString(), out.toString()));
        } finally {
            System.setErr(old);
        }
        String msg = err.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(msg.contains("tensor 'blk.0.attn_v.weight' is iq1_s_r4; ik's own four-row type, not a repack"), msg);
        assertEquals(1, msg.strip().lines().count(), msg);
        assertFalse(Files.exists(out));
    }

    @Test
    void fileTypeOverrideOnUndo() {
        Path in = sample(), out = tmp.resolve("out.gguf"), back = tmp.resolve("back.gguf");
        assertEquals(0, TestFiles.repack(in.toString(), out.toString()));
        assertEquals(0, TestFiles.repack("--undo", out.toString(), back.toString(), "--file-type", "Q4_K_S"));
        try (GgufFile f = GgufFile.open(back)) {
            assertEquals(14, f.metadata().getLong("general.file_type", -1));
        }
    }

    @Test
    void dryRunWritesNothing() {
        Path in = sample(), out = tmp.resolve("out.gguf");
        assertEquals(0, TestFiles.repack(in.toString(), out.toString(), "--dry-run"));
        assertFalse(Files.exists(out));
        assertTrue(Files.exists(in));
    }
}
