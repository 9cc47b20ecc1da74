package kiln.convert;

import kiln.convert.cli.ConvertCommand;
import kiln.convert.testing.SafetensorsWriter;
import kiln.convert.testing.TestModels;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Broken checkpoints: one-line error naming the file and tensor/key, exit 2, no output file left. */
class BadInputTest {
    @TempDir
    Path tmp;
    Path model;
    Path out;

    @BeforeEach
    void setUp() {
        Fixtures.require();
        model = tmp.resolve("model");
        out = tmp.resolve("out").resolve("x.gguf");
    }

    /** Runs the command, checks exit 2, a one-line message containing every {@code expected} part, and an empty output folder. */
    private String fails(String... expected) throws IOException {
        Files.createDirectories(out.getParent());
        StringWriter err = new StringWriter();
        CommandLine cl = CliSupport.configure(new CommandLine(new ConvertCommand()));
        cl.setErr(new PrintWriter(err));
        int rc = cl.execute(model.toString(), "-o", out.toString(), "--no-progress");
        return refusal(rc, err.toString().strip(), expected);
    }

    private String refusal(int rc, String msg, String... expected) throws IOException {
        assertEquals(2, rc, msg);
        assertEquals(1, msg.lines().count(), "one line: " + msg);
        for (String e : expected) assertTrue(msg.contains(e), "'" + msg + "' should mention '" + e + "'");
        try (Stream<Path> s = Files.list(out.getParent())) {
            assertEquals(0, s.count(), "no output left behind");
        }
        return msg;
    }

    @Test
    void unknownArchitecture() throws IOException {
        TestModels.llama(model, n -> true, w -> {});
        TestModels.editConfig(model, c -> c.putArray("architectures").add("MambaForCausalLM"));
        fails("config.json", "unknown architecture 'MambaForCausalLM'");
    }

    @Test
    void missingConfigKey() throws IOException {
        TestModels.llama(model, n -> true, w -> {});
        TestModels.editConfig(model, c -> c.remove("num_attention_heads"));
        fails("config.json", "num_attention_heads");
    }

    @Test
    void missingTensor() throws IOException {
        TestModels.llama(model, n -> !n.equals("model.layers.2.mlp.up_proj.weight"), w -> {});
        fails("missing tensor 'model.layers.2.mlp.up_proj.weight'", model.toString());
    }

    @Test
    void extraTensor() throws IOException {
        TestModels.llama(model, n -> true, w -> w.add("model.layers.0.self_attn.extra.weight", "BF16", new long[]{4}, new byte[8]));
        fails("unexpected tensor 'model.layers.0.self_attn.extra.weight'");
    }

    @Test
    void wrongShape() throws IOException {
        TestModels.llama(model, n -> !n.equals("model.norm.weight"), w -> w.add("model.norm.weight", "BF16", new long[]{255}, new byte[510]));
        fails("tensor 'model.norm.weight' has shape [255], expected [256]");
    }

    @Test
    void unsupportedDtype() throws IOException {
        TestModels.llama(model, n -> true, w -> w.add("model.layers.0.self_attn.rotary_emb.inv_freq", "I64", new long[]{2}, new byte[16]));
        fails("model.safetensors", "tensor 'model.layers.0.self_attn.rotary_emb.inv_freq'", "unsupported dtype I64");
    }

    @Test
    void shardNamedInIndexButAbsent() throws IOException {
        TestModels.llama(model, n -> true, w -> {});
        Files.move(model.resolve("model.safetensors"), model.resolve("model-00001-of-00002.safetensors"));
        Files.writeString(model.resolve("model.safetensors.index.json"), """
                {"metadata": {}, "weight_map": {"model.norm.weight": "model-00001-of-00002.safetensors",
                 "lm_head.weight": "model-00002-of-00002.safetensors"}}""");
        fails("model-00002-of-00002.safetensors", "missing", "lm_head.weight");
    }

    @Test
    void truncatedShard() throws IOException {
        TestModels.llama(model, n -> true, w -> {});
        Path f = model.resolve("model.safetensors");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 1000);
        }
        fails("model.safetensors", "tensor '", "truncated");
    }

    @Test
    void corruptHeader() throws IOException {
        TestModels.llama(model, n -> true, w -> {});
        Path f = model.resolve("model.safetensors");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[]{1, 2, 3}), 12);
        }
        fails("model.safetensors", "corrupt safetensors file", "JSON");
    }

    @Test
    void insaneHeaderLength() throws IOException {
        TestModels.llama(model, n -> true, w -> {});
        Path f = model.resolve("model.safetensors");
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1L << 40), 0);
        }
        fails("model.safetensors", "header length");
    }

    @Test
    void overlappingTensors() throws IOException {
        TestModels.copySmallFiles(model);
        Files.write(model.resolve("model.safetensors"), header(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12));
        fails("model.safetensors", "overlaps");
    }

    @Test
    void byteLengthDisagreesWithShape() throws IOException {
        TestModels.copySmallFiles(model);
        Files.write(model.resolve("model.safetensors"), header(
                "{\"model.norm.weight\":{\"dtype\":\"BF16\",\"shape\":[256],\"data_offsets\":[0,510]}}", 512));
        fails("model.safetensors", "tensor 'model.norm.weight'", "expected 512");
    }

    @Test
    void fp8WithoutScale() throws IOException {
        Path src = Fixtures.file("tiny-deepseek-fp8/hf-fp8");
        model = tmp.resolve("fp8");
        Files.createDirectories(model);
        try (Stream<Path> s = Files.list(src)) {
            for (Path p : s.toList()) Files.copy(p, model.resolve(p.getFileName()));
        }
        // Rewrite shard 1 without one scale, and the index without it too.
        Path shard = model.resolve("model-00001-of-00002.safetensors");
        SafetensorsWriter w = new SafetensorsWriter();
        try (var arena = java.lang.foreign.Arena.ofConfined()) {
            var f = kiln.convert.safetensors.SafetensorsFile.open(shard, arena);
            for (var t : f.tensors().values()) {
                if (t.name().equals("model.layers.0.mlp.down_proj.weight_scale_inv")) continue;
                w.add(t.name(), t.dtype(), t.shape(), t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            }
        }
        Path tmpShard = tmp.resolve("shard.safetensors");
        w.write(tmpShard);
        Files.move(tmpShard, shard, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        String idx = Files.readString(model.resolve("model.safetensors.index.json"));
        Files.writeString(model.resolve("model.safetensors.index.json"),
                idx.replaceAll("\"model.layers.0.mlp.down_proj.weight_scale_inv\": \"[^\"]*\",?", ""));
        fails("model.layers.0.mlp.down_proj.weight", "_scale_inv");
    }

    /** Element 3·768+5 of the down projection of layer 1 (row 3, column 5 in GGUF order) set to {@code bf16}. */
    private void withDownProjValue(short bf16) throws IOException {
        TestModels.damaged(model, (name, bytes) -> {
            if (!name.equals("model.layers.1.mlp.down_proj.weight")) return;
            int at = 2 * (3 * 768 + 5);
            bytes[at] = (byte) bf16;
            bytes[at + 1] = (byte) (bf16 >> 8);
        });
    }

    @Test
    void nonFiniteWeightsAreRefusedNamingTheTensor() throws IOException {
        withDownProjValue((short) 0x7FC0);
        assertEquals("kiln convert: tensor blk.1.ffn_down.weight row 3 column 5 is NaN; expected finite values (--allow-nonfinite writes them anyway)", fails());
        model = tmp.resolve("model2");
        withDownProjValue((short) 0xFF80);
        assertTrue(fails().contains("is -Infinity"));
    }

    @Test
    void nonFiniteWeightsAreRefusedByTheQuantizingPathToo() throws IOException {
        withDownProjValue((short) 0x7F80);
        Files.createDirectories(out.getParent());
        StringWriter err = new StringWriter();
        CommandLine cl = CliSupport.configure(new CommandLine(new ConvertCommand()));
        cl.setErr(new PrintWriter(err));
        for (String type : new String[] {"q8_0", "Q4_K_M"}) {
            int rc = cl.execute(model.toString(), "-o", out.toString(), "--no-progress", "--outtype", type, "--allow-nonfinite");
            refusal(rc, err.toString().strip(), "blk.1.ffn_down.weight", "row 3 column 5 is Infinity");
            err.getBuffer().setLength(0);
        }
    }

    @Test
    void allowNonFiniteWritesThemWithAWarning() throws Exception {
        withDownProjValue((short) 0x7FC0);
        Files.createDirectories(out.getParent());
        StringWriter err = new StringWriter();
        CommandLine cl = CliSupport.configure(new CommandLine(new ConvertCommand()));
        cl.setErr(new PrintWriter(err));
        java.io.PrintStream stderr = System.err;
        java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
        System.setErr(new java.io.PrintStream(captured, true, java.nio.charset.StandardCharsets.UTF_8));
        int rc;
        try {
            rc = cl.execute(model.toString(), "-o", out.toString(), "--no-progress", "--allow-nonfinite");
        } finally {
            System.setErr(stderr);
        }
        assertEquals(0, rc, err + captured.toString());
        assertTrue(captured.toString().contains("kiln convert: warning: tensor blk.1.ffn_down.weight has 1 non-finite values (NaN or infinity), "
                + "written as they are (--allow-nonfinite)"), captured.toString());
        try (kiln.tensor.gguf.GgufFile f = kiln.tensor.gguf.GgufFile.open(out)) {
            var t = f.tensors().stream().filter(x -> x.name().equals("blk.1.ffn_down.weight")).findFirst().orElseThrow();
            assertEquals((short) 0x7FC0, f.data(t).get(java.lang.foreign.ValueLayout.JAVA_SHORT_UNALIGNED, 2L * (3 * 768 + 5)));
        }
    }

    private static byte[] header(String json, int dataBytes) {
        byte[] h = json.getBytes();
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        return b.array();
    }
}
