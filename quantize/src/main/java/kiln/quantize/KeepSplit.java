package kiln.quantize;

import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufLayout;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.TensorInfo;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * ik's {@code --keep-split}: the output in the input's shards, each tensor in the file its input came from. As ik
 * writes them: the files are {@code PREFIX-00001-of-0000N.gguf} (PREFIX: the output name less its last five
 * characters when it contains ".gguf", or {@code ggml-model-FTYPE} by default — even for an unsplit input, which
 * gives {@code PREFIX-00001-of-00001.gguf}); the first file has the model's metadata, the others none; with more
 * than one file every file ends its metadata with {@code split.no} (u16), {@code split.count} (u16) and
 * {@code split.tensors.count} (i32).
 *
 * @param paths       the output files
 * @param layouts     each file's layout
 * @param fileOf      for each plan item, the file it goes to
 * @param indexInFile for each plan item, its index in that file's layout
 */
record KeepSplit(List<Path> paths, List<GgufLayout> layouts, int[] fileOf, int[] indexInFile) {

    /** The single-file case: everything in {@code output}. */
    static KeepSplit single(QuantizePlan plan, Path output) {
        int n = plan.items().size();
        int[] index = new int[n];
        for (int i = 0; i < n; i++) index[i] = i;
        return new KeepSplit(List.of(output), List.of(plan.layout()), new int[n], index);
    }

    /** ik's naming: the output argument with ".gguf" cut off as ik does, or null for the default name. */
    static String prefix(String outputArgument) {
        return outputArgument.contains(".gguf") ? outputArgument.substring(0, outputArgument.length() - 5) : outputArgument;
    }

    static KeepSplit of(GgufFile in, QuantizePlan plan, String prefix) {
        Map<String, Integer> shardOf = new HashMap<>();
        List<GgufFile.Shard> shards = in.shards();
        for (int s = 0; s < shards.size(); s++) for (TensorInfo t : shards.get(s).tensors()) shardOf.put(t.name(), s);
        int nSplit = shards.size();
        List<List<GgufLayout.Entry>> entries = new ArrayList<>();
        for (int s = 0; s < nSplit; s++) entries.add(new ArrayList<>());
        int n = plan.items().size();
        int[] fileOf = new int[n], index = new int[n];
        for (int i = 0; i < n; i++) {
            QuantizePlan.Item it = plan.items().get(i);
            int s = shardOf.get(it.input().name());
            fileOf[i] = s;
            index[i] = entries.get(s).size();
            entries.get(s).add(new GgufLayout.Entry(it.input().name(), it.target(), it.input().ne()));
        }
        List<Path> paths = new ArrayList<>();
        List<GgufLayout> layouts = new ArrayList<>();
        for (int s = 0; s < nSplit; s++) {
            GgufMetadata md = s == 0 ? plan.metadata().copy() : new GgufMetadata();
            if (nSplit > 1) {
                md.put("split.no", GgufValue.ofU16((short) s));
                md.put("split.count", GgufValue.ofU16((short) nSplit));
                md.put("split.tensors.count", GgufValue.ofI32(n));
            }
            paths.add(Path.of(String.format("%s-%05d-of-%05d.gguf", prefix, s + 1, nSplit)));
            layouts.add(new GgufLayout(md, entries.get(s)));
        }
        return new KeepSplit(List.copyOf(paths), List.copyOf(layouts), fileOf, index);
    }
}
