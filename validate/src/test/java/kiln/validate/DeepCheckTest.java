package kiln.validate;

import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code validate --deep} finds NaN/Inf in values and block scales, and all-zero tensors, naming tensor and block. */
class DeepCheckTest {
    @TempDir
    Path dir;

    private record Damage(byte[] bytes, long tensorStart, long rowSize) {}

    private static Damage open(String fixture, String tensor) throws IOException {
        Path p = Fixtures.file(fixture);
        try (GgufFile f = GgufFile.open(p)) {
            TensorInfo t = f.tensor(tensor);
            return new Damage(Files.readAllBytes(p), f.shards().getFirst().dataOffset() + t.offset(), t.rowSize());
        }
    }

    private Cli.Result deep(String name, byte[] bytes) throws IOException {
        Path f = dir.resolve(name + ".gguf");
        Files.write(f, bytes);
        return Cli.validate("--deep", f.toString());
    }

    private static void put16(byte[] b, long at, int v) {
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putShort((int) at, (short) v);
    }

    @Test
    void nanInBf16Values() throws IOException {
        Damage d = open("tiny-llama/mainline/tiny-llama-bf16.gguf", "blk.1.attn_q.weight");
        put16(d.bytes(), d.tensorStart() + d.rowSize() * 5 + 2 * 70, 0x7FC0);
        put16(d.bytes(), d.tensorStart() + d.rowSize() * 9 + 2 * 3, 0x7F80);
        Cli.Result r = deep("nan", d.bytes());
        assertEquals(1, r.exit(), r.all());
        assertTrue(r.out().contains("error: tensor 'blk.1.attn_q.weight' row 5 element 70: NaN (2 bad values in this tensor)"), r.out());
        assertTrue(r.out().contains("invalid"), r.out());
        Cli.Result plain = Cli.validate(dir.resolve("nan.gguf").toString());
        assertEquals(0, plain.exit(), "without --deep the data are not read: " + plain.all());
    }

    @Test
    void infInF32Norm() throws IOException {
        Damage d = open("tiny-llama/mainline/tiny-llama-bf16.gguf", "blk.2.ffn_norm.weight");
        ByteBuffer.wrap(d.bytes()).order(ByteOrder.LITTLE_ENDIAN).putFloat((int) d.tensorStart() + 4 * 17, Float.NEGATIVE_INFINITY);
        Cli.Result r = deep("inf", d.bytes());
        assertEquals(1, r.exit(), r.all());
        assertTrue(r.out().contains("error: tensor 'blk.2.ffn_norm.weight' row 0 element 17: Inf"), r.out());
    }

    @Test
    void allZeroTensorIsAWarning() throws IOException {
        Path p = Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf");
        byte[] b = Files.readAllBytes(p);
        long start;
        long size;
        try (GgufFile f = GgufFile.open(p)) {
            TensorInfo t = f.tensor("blk.0.ffn_up.weight");
            start = f.shards().getFirst().dataOffset() + t.offset();
            size = t.byteSize();
        }
        Arrays.fill(b, (int) start, (int) (start + size), (byte) 0);
        Cli.Result r = deep("zero", b);
        assertEquals(0, r.exit(), r.all());
        assertTrue(r.out().contains("warning: tensor 'blk.0.ffn_up.weight' is all zeros"), r.out());
    }

    @Test
    void nanBlockScaleInQ8_0WithoutACodec() throws IOException {
        Damage d = open("tiny-deepseek/ik/tiny-deepseek-Q8_0.gguf", "blk.1.attn_q_b.weight");
        put16(d.bytes(), d.tensorStart() + d.rowSize() * 2 + 34 * 3, 0x7E00); // row 2, block 3, d = NaN
        Cli.Result r = deep("q8scale", d.bytes());
        assertEquals(1, r.exit(), r.all());
        assertTrue(r.out().contains("error: tensor 'blk.1.attn_q_b.weight' row 2 block 3: block scale is NaN"), r.out());
    }

    @Test
    void infBlockScaleInInterleavedQ8_0_R8() throws IOException {
        Damage d = open("tiny-deepseek/ik/tiny-deepseek-Q8_0_R8.gguf", "blk.0.ffn_down.weight");
        // group 1 (rows 8..15), block column 2, scale of the 4th row of the group: row 11
        long at = d.tensorStart() + 8 * d.rowSize() + 2L * 8 * 34 + 2 * 3;
        put16(d.bytes(), at, 0xFC00);
        Cli.Result r = deep("r8scale", d.bytes());
        assertEquals(1, r.exit(), r.all());
        assertTrue(r.out().contains("error: tensor 'blk.0.ffn_down.weight' row 11 block 2: block scale is Inf"), r.out());
    }

    @Test
    void typesWithoutCodecAreReportedNotChecked() throws IOException {
        Cli.Result r = Cli.validate("--deep", Fixtures.file("tiny-deepseek/ik/tiny-deepseek-Q8_0.gguf").toString());
        assertEquals(0, r.exit(), r.all());
        if (!kiln.validate.compat.Compatibility.hasCodec(kiln.tensor.GgmlType.Q8_0)) {
            assertTrue(r.out().contains("not checked: no codec: values of q8_0 (38 tensors)"), r.out());
        } else {
            assertTrue(!r.out().contains("values of q8_0"), r.out());
        }
    }
}
