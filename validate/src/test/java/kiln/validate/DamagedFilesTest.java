package kiln.validate;

import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Damaged copies of a fixture: each gives one line naming the problem and its place, exit 1 from validate
 * (invalid) and 2 from inspect (bad input), and never a stack trace, a hang or an out-of-memory.
 */
class DamagedFilesTest {
    private static byte[] good;
    private static HeaderMap map;

    @TempDir
    Path dir;

    @BeforeAll
    static void load() throws IOException {
        good = Files.readAllBytes(Fixtures.file("tiny-llama/ik/tiny-llama-Q4_K_R4.gguf"));
        map = new HeaderMap(good);
    }

    private static byte[] copy() {
        return good.clone();
    }

    /** Runs validate and inspect on the damaged bytes and checks the conventions; returns validate's line. */
    private String expectInvalid(String name, byte[] bytes, String... fragments) throws IOException {
        Path f = dir.resolve(name + ".gguf");
        Files.write(f, bytes);
        Cli.Result v = Cli.validate(f.toString());
        assertEquals(1, v.exit(), name + ": " + v.all());
        String line = v.out().strip();
        assertEquals(1, line.lines().count(), name + ": one line expected: " + v.all());
        assertTrue(line.startsWith(f + ": invalid: "), line);
        for (String frag : fragments) assertTrue(line.contains(frag), name + ": '" + frag + "' missing in: " + line);
        noStackTrace(v);

        Cli.Result i = Cli.inspect(f.toString());
        assertEquals(2, i.exit(), name + ": " + i.all());
        assertTrue(i.out().isEmpty(), i.out());
        assertEquals(1, i.err().strip().lines().count(), i.err());
        for (String frag : fragments) assertTrue(i.err().contains(frag), name + ": " + i.err());
        noStackTrace(i);

        Cli.Result j = Cli.validate("--json", f.toString());
        assertEquals(1, j.exit());
        var json = FixtureFiles.MAPPER.readTree(j.out());
        assertFalse(json.get("valid").booleanValue());
        assertEquals(1, json.get("errors").size());
        return line;
    }

    private static void noStackTrace(Cli.Result r) {
        assertFalse(r.all().contains("Exception"), r.all());
        assertFalse(r.all().contains("\tat "), r.all());
        assertFalse(r.all().contains("internal error"), r.all());
    }

    @Test
    void truncatedAtSeveralPoints() throws IOException {
        long[] cuts = {0, 3, 6, 20, 100, map.tensorInfoStart - 5, map.tensorInfoStart + 10, map.dataOffset - 1,
                map.dataOffset, good.length / 2, good.length - 1};
        for (long cut : cuts) {
            String line = expectInvalid("cut-" + cut, Arrays.copyOf(good, (int) cut));
            assertTrue(line.contains("truncated") || line.contains("not within the file bounds")
                    || line.contains("impossible for a file of " + cut + " bytes"), line);
            assertTrue(line.contains("(at byte ") || line.contains("tensor '"), "names the place: " + line);
        }
    }

    @Test
    void flippedHeaderBytes() throws IOException {
        byte[] magic = copy();
        magic[1] ^= 0x20;
        expectInvalid("magic", magic, "not a GGUF file: bad magic", "(at byte 0)");
        byte[] version = copy();
        version[4] = 9;
        expectInvalid("version", version, "unsupported GGUF version 9", "(at byte 4)");
        byte[] endian = copy();
        HeaderMap.putInt(endian, 4, 0x03000000);
        expectInvalid("endian", endian, "other endianness");
    }

    @Test
    void tensorOffsetOutOfRange() throws IOException {
        byte[] b = copy();
        var last = map.tensors.getLast();
        HeaderMap.putLong(b, last.offsetPos(), 1L << 40);
        expectInvalid("offset", b, "tensor '" + last.name() + "' has offset 1099511627776, expected");
        byte[] neg = copy();
        HeaderMap.putLong(neg, last.offsetPos(), -64);
        expectInvalid("negative-offset", neg, "tensor '" + last.name() + "' has offset", "(at byte " + last.offsetPos() + ")");
    }

    @Test
    void stringLengthPastTheEnd() throws IOException {
        byte[] key = copy();
        HeaderMap.putLong(key, 24, good.length + 1000L);
        expectInvalid("key-length", key, "metadata key #0", "(at byte 32)");
        byte[] value = copy();
        long at = map.valuePos.get("general.architecture");
        HeaderMap.putLong(value, at, 1L << 29);
        expectInvalid("value-length", value, "value of 'general.architecture'");
        byte[] huge = copy();
        HeaderMap.putLong(huge, at, -5);
        expectInvalid("value-length-negative", huge, "value of 'general.architecture' has invalid length", "(at byte " + at + ")");
        byte[] name = copy();
        var t = map.tensors.get(3);
        HeaderMap.putLong(name, t.namePos(), good.length);
        expectInvalid("tensor-name-length", name, "name of tensor #3");
    }

    /** Names read from a damaged file are shown as one printable, bounded line, and the place is kept. */
    @Test
    void binaryNamesStayOnOneLine() throws IOException {
        byte[] b = copy();
        var t = map.tensors.get(2);
        b[(int) t.namePos() + 8 + 3] = '\n';
        var k = map.tensor("blk.0.attn_k.weight");
        var q = map.tensor("blk.0.attn_q.weight");
        // duplicate name that also contains a newline
        byte[] name = "blk.0.attn_k.weight".getBytes(StandardCharsets.UTF_8);
        name[3] = '\n';
        System.arraycopy(name, 0, b, (int) k.namePos() + 8, name.length);
        System.arraycopy(name, 0, b, (int) q.namePos() + 8, name.length);
        expectInvalid("newline", b, "duplicate tensor name 'blk\\n0.attn_k.weight'");
        byte[] longName = copy();
        HeaderMap.putLong(longName, t.namePos(), 5000); // swallows the following tensor infos into the name
        String line = expectInvalid("long-name", longName, "is longer than 63 bytes", "(at byte " + t.namePos() + ")");
        assertTrue(line.length() < 1000, line);
    }

    @Test
    void tensorCountOf2To40() throws IOException {
        byte[] b = copy();
        HeaderMap.putLong(b, 8, 1L << 40);
        expectInvalid("tensor-count", b, "tensor count 1099511627776 is impossible", "(at byte 8)");
        byte[] kv = copy();
        HeaderMap.putLong(kv, 16, 1L << 40);
        expectInvalid("kv-count", kv, "metadata count 1099511627776 is impossible", "(at byte 16)");
    }

    @Test
    void unknownTypeId() throws IOException {
        byte[] b = copy();
        var t = map.tensors.get(5);
        HeaderMap.putInt(b, t.typePos(), 77);
        expectInvalid("type", b, "tensor '" + t.name() + "' has unknown ggml type id 77", "(at byte " + t.typePos() + ")");
        byte[] dims = copy();
        HeaderMap.putInt(dims, t.dimsPos(), 7);
        expectInvalid("dims", dims, "tensor '" + t.name() + "' has 7 dimensions");
    }

    @Test
    void duplicateTensorNames() throws IOException {
        byte[] b = copy();
        var k = map.tensor("blk.0.attn_k.weight");
        var q = map.tensor("blk.0.attn_q.weight");
        byte[] name = "blk.0.attn_k.weight".getBytes(StandardCharsets.UTF_8);
        System.arraycopy(name, 0, b, (int) q.namePos() + 8, name.length);
        long second = Math.max(k.namePos(), q.namePos());
        expectInvalid("duplicate", b, "duplicate tensor name 'blk.0.attn_k.weight'", "(at byte " + second + ")");
    }

    /** 2^62 f32 elements are 2^64 bytes: the byte size wraps to 0, which the reader once accepted for a last tensor. */
    @Test
    void shapeWhoseByteSizeOverflows() throws IOException {
        byte[] b = copy();
        var last = map.tensors.getLast();
        assertEquals("output_norm.weight", last.name()); // f32, 1-D
        HeaderMap.putLong(b, last.nePos(), 1L << 62);
        expectInvalid("overflow", b, "tensor '" + last.name() + "' of type f32", "is too large", "(at byte " + last.namePos() + ")");
    }
}
