package kiln.repack;

import kiln.tensor.testing.FileHashes;
import kiln.tensor.GgmlType;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Q8_KV in {@code kiln repack}: repacked to Q8_KV_R8 and back (synthetic rows), and the file ik's
 * {@code llama-quantize --repack} writes from Q8_KV — Q8_KV's tensor sizes under the Q8_KV_R8 type, which ik itself
 * reads wrong — refused in one line that says what it is.
 */
class IkRepackedQ8KvTest {
    @TempDir
    Path tmp;

    private Path q8kvFile() {
        return new SyntheticGguf().kv("general.file_type", GgufValue.ofU32(149))
                .kv("general.quantization_version", GgufValue.ofU32(2))
                .tensor("blk.0.ffn_up.weight", GgmlType.Q8_KV, 256, 16)
                .tensor("blk.0.attn_v.weight", GgmlType.Q8_KV, 64, 4)
                .tensor("output_norm.weight", GgmlType.F32, 256).write(tmp.resolve("q8kv.gguf"), 149);
    }

    @Test
    void q8KvIsRepackedAndUndoneWhereNe1Allows() throws IOException {
        Path in = q8kvFile(), out = tmp.resolve("r8.gguf"), back = tmp.resolve("back.gguf");
        assertEquals(0, TestFiles.repack(in.toString(), out.toString()));
        try (GgufFile f = GgufFile.open(out)) {
            assertEquals(List.of(GgmlType.Q8_KV_R8, GgmlType.Q8_KV, GgmlType.F32), f.tensors().stream().map(TensorInfo::type).toList());
            assertEquals(398, f.metadata().getLong("general.file_type", -1));
        }
        assertEquals(0, TestFiles.repack("--undo", out.toString(), back.toString()));
        // the rows' sums are random bytes here, which undo recomputes (Q8KvR8Test and the fixture chain test check
        // that real rows come back byte for byte): the layout comes back, and repacking it again gives the same file
        try (GgufFile a = GgufFile.open(in); GgufFile b = GgufFile.open(back)) {
            assertEquals(a.tensors().stream().map(TensorInfo::type).toList(), b.tensors().stream().map(TensorInfo::type).toList());
            assertEquals(149, b.metadata().getLong("general.file_type", -1));
        }
        assertEquals(Files.size(in), Files.size(back));
        Path again = tmp.resolve("again.gguf");
        assertEquals(0, TestFiles.repack(back.toString(), again.toString()));
        assertEquals(FileHashes.sha256(out), FileHashes.sha256(again));
    }

    /** ik's --repack output has the Q8_KV file's offsets with the Q8_KV_R8 type id: flip the id in the header. */
    @Test
    void iksRepackLayoutIsRefusedNamingIt() throws IOException {
        byte[] b = Files.readAllBytes(q8kvFile());
        byte[] name = "blk.0.ffn_up.weight".getBytes(StandardCharsets.US_ASCII);
        int at = indexOf(b, name) + name.length;
        int typeAt = at + 4 + 2 * 8; // u32 n_dims, two i64 dims, then the u32 type
        assertEquals(151, b[typeAt] & 0xFF);
        b[typeAt] = (byte) (398 & 0xFF);
        b[typeAt + 1] = (byte) (398 >> 8);
        Path ik = tmp.resolve("ik-repacked.gguf");
        Files.write(ik, b);
        for (String[] args : new String[][] {{"--undo", ik.toString(), tmp.resolve("u.gguf").toString()},
                {ik.toString(), tmp.resolve("r.gguf").toString()}}) {
            String msg = stderrOf(args);
            assertEquals(1, msg.strip().lines().count(), msg);
            assertTrue(msg.contains("tensor 'blk.0.attn_v.weight' has offset"), msg);
            assertTrue(msg.contains("q8_KV_r8 tensor 'blk.0.ffn_up.weight' takes Q8_KV's size, the layout of ik_llama.cpp's"
                    + " `llama-quantize --repack` from Q8_KV"), msg);
            assertFalse(Files.exists(Path.of(args[args.length - 1])));
        }
    }

    private static String stderrOf(String... args) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.err;
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            assertEquals(2, TestFiles.repack(args));
        } finally {
            System.setErr(old);
        }
        return err.toString(StandardCharsets.UTF_8);
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }
}
