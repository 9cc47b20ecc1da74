package kiln.convert.write;

import kiln.tensor.cli.Progress;
import kiln.tensor.gguf.GgufLayout;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufOutput;
import kiln.tensor.gguf.GgufValue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Writes planned tensors + metadata to one file or a split set, atomically (nothing is left on failure). */
public final class GgufSink {
    private GgufSink() {}

    /** Values that are not finite are refused or counted as {@code nonFinite} says (re-layouts copy bytes and check nothing). */
    public static List<Path> write(Path out, GgufMetadata meta, List<PlannedTensor> tensors, long splitMaxSize, int threads, Progress progress,
                                   NonFiniteValues nonFinite) {
        int[] shard = SplitPlan.assign(tensors, splitMaxSize);
        int count = tensors.isEmpty() ? 1 : shard[shard.length - 1] + 1;
        List<Path> paths = SplitPlan.names(out, count);
        List<List<GgufLayout.Entry>> entries = new ArrayList<>();
        for (int i = 0; i < count; i++) entries.add(new ArrayList<>());
        List<TensorWriter.Target> targets = new ArrayList<>();
        int[] indexInShard = new int[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            PlannedTensor t = tensors.get(i);
            indexInShard[i] = entries.get(shard[i]).size();
            entries.get(shard[i]).add(new GgufLayout.Entry(t.name(), t.type(), t.ne()));
        }
        List<GgufOutput> outs = new ArrayList<>();
        try {
            for (int s = 0; s < count; s++) {
                GgufMetadata m = s == 0 ? meta.copy() : new GgufMetadata();
                if (count > 1) {
                    m.put("split.no", GgufValue.ofU16((short) s));
                    m.put("split.count", GgufValue.ofU16((short) count));
                    m.put("split.tensors.count", GgufValue.ofI32(tensors.size()));
                }
                outs.add(GgufOutput.create(paths.get(s), new GgufLayout(m, entries.get(s))));
            }
            for (int i = 0; i < tensors.size(); i++) targets.add(new TensorWriter.Target(outs.get(shard[i]), indexInShard[i]));
            TensorWriter.write(tensors, targets, threads, progress, nonFinite);
            for (GgufOutput o : outs) o.commit();
            progress.done();
            return paths;
        } catch (RuntimeException e) {
            for (GgufOutput o : outs) o.close();
            // A failure after some shards were committed must not leave a partial set behind.
            for (Path p : paths) {
                try {
                    if (count > 1) Files.deleteIfExists(p);
                } catch (java.io.IOException ignored) {
                    // best effort
                }
            }
            throw e;
        } finally {
            for (GgufOutput o : outs) o.close();
        }
    }
}
