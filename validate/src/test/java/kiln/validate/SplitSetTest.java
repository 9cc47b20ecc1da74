package kiln.validate;

import com.fasterxml.jackson.databind.JsonNode;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufLayout;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufOutput;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A split set (written here from a fixture, as llama-gguf-split lays it out) is inspected and validated as one model. */
class SplitSetTest {
    @TempDir
    Path dir;

    private static GgufMetadata splitKeys(GgufMetadata base, int no, int tensors) {
        GgufMetadata md = base == null ? new GgufMetadata() : base.copy();
        md.put("split.no", GgufValue.ofU16((short) no));
        md.put("split.count", GgufValue.ofU16((short) 2));
        md.put("split.tensors.count", GgufValue.ofI32(tensors));
        return md;
    }

    private static void writeShard(GgufFile src, List<TensorInfo> tensors, GgufMetadata md, Path out) {
        GgufLayout layout = new GgufLayout(md, GgufLayout.entriesOf(tensors));
        try (GgufOutput o = GgufOutput.create(out, layout)) {
            for (int i = 0; i < tensors.size(); i++) o.write(i, src.data(tensors.get(i)));
            o.commit();
        }
    }

    private Path[] split() {
        Path first = dir.resolve("tiny-llama-00001-of-00002.gguf");
        Path second = dir.resolve("tiny-llama-00002-of-00002.gguf");
        try (GgufFile f = GgufFile.open(Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf"))) {
            List<TensorInfo> all = f.tensors();
            int half = all.size() / 2;
            writeShard(f, all.subList(0, half), splitKeys(f.metadata(), 0, all.size()), first);
            writeShard(f, all.subList(half, all.size()), splitKeys(null, 1, all.size()), second);
        }
        return new Path[]{first, second};
    }

    @Test
    void splitSetIsOneModel() throws IOException {
        Path[] p = split();
        Cli.Result i = Cli.inspect("--json", p[0].toString());
        assertEquals(0, i.exit(), i.all());
        JsonNode j = FixtureFiles.MAPPER.readTree(i.out());
        assertEquals(39, j.get("tensor_count").intValue());
        assertEquals(2, j.get("shards").size());
        assertEquals(Files.size(p[0]) + Files.size(p[1]), j.get("file_size").longValue());
        Cli.Result v = Cli.validate("--deep", "--json", p[0].toString());
        assertEquals(0, v.exit(), v.all());
        JsonNode r = FixtureFiles.MAPPER.readTree(v.out());
        assertEquals(39, r.get("tensor_count").intValue());
        assertEquals(true, r.get("runtimes").get("llama.cpp").get("loads").booleanValue(), v.out());
        assertEquals(39, r.get("deep").get("tensors").intValue());
    }

    @Test
    void laterFileOrMissingFileOfASet() throws IOException {
        Path[] p = split();
        Cli.Result second = Cli.validate(p[1].toString());
        assertEquals(2, second.exit(), second.all());
        assertTrue(second.out().contains("open the first file of the set"), second.out());
        Files.delete(p[1]);
        Cli.Result missing = Cli.validate(p[0].toString());
        assertEquals(2, missing.exit(), missing.all());
        assertTrue(missing.out().contains("00002-of-00002.gguf: no such file"), missing.out());
    }
}
