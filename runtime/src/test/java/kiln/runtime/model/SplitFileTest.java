package kiln.runtime.model;

import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufLayout;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufOutput;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** A model split over several files (as llama-gguf-split writes them) runs like the single file. */
class SplitFileTest {
    @TempDir
    Path tmp;

    @Test
    void splitSetGivesTheSameLogits() {
        Path single = Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf");
        int parts = 3;
        try (GgufFile f = GgufFile.open(single)) {
            List<TensorInfo> all = f.tensors();
            int per = (all.size() + parts - 1) / parts;
            for (int p = 0; p < parts; p++) {
                List<TensorInfo> mine = all.subList(p * per, Math.min(all.size(), (p + 1) * per));
                GgufMetadata md = p == 0 ? f.metadata().copy() : new GgufMetadata();
                md.put("split.no", GgufValue.ofU16((short) p));
                md.put("split.count", GgufValue.ofU16((short) parts));
                md.put("split.tensors.count", GgufValue.ofI32(all.size()));
                List<GgufLayout.Entry> entries = new ArrayList<>();
                for (TensorInfo t : mine) entries.add(new GgufLayout.Entry(t.name(), t.type(), t.ne()));
                Path out = tmp.resolve(String.format("tiny-llama-%05d-of-%05d.gguf", p + 1, parts));
                try (GgufOutput o = GgufOutput.create(out, new GgufLayout(md, entries, f.alignment()))) {
                    for (int i = 0; i < mine.size(); i++) o.write(i, f.data(mine.get(i)));
                    o.commit();
                }
            }
        }
        ModelOptions opt = ModelOptions.defaults().withCtx(64).withThreads(1).withNumerics("f32");
        float[] a, b;
        try (Model m = ModelLoader.load(single, opt, new kiln.runtime.kernel.ScalarKernels())) {
            a = Greedy.promptLogits(m, m.tokenizer().encode("First Citizen:\n", true));
        }
        try (Model m = ModelLoader.load(tmp.resolve("tiny-llama-00001-of-00003.gguf"), opt, new kiln.runtime.kernel.ScalarKernels())) {
            b = Greedy.promptLogits(m, m.tokenizer().encode("First Citizen:\n", true));
        }
        assertArrayEquals(a, b);
    }
}
