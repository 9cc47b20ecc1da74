package kiln.repack;

import kiln.tensor.Parallel;
import kiln.tensor.cli.Progress;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufLayout;
import kiln.tensor.gguf.GgufOutput;
import kiln.tensor.repack.Interleaver;
import kiln.tensor.repack.TensorRepacker;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * Executes a {@link RepackPlan}: streams every tensor from the mapped input to an atomic {@link GgufOutput}, in
 * parallel chunks of whole interleaved groups (unchanged tensors are written straight from the mapping).
 */
public final class RepackWriter {
    private RepackWriter() {}

    /** Target bytes per work item. */
    static final long CHUNK_BYTES = 4L << 20;

    private static final ThreadLocal<byte[]> BUFFER = ThreadLocal.withInitial(() -> new byte[0]);

    /** A piece of one tensor: groups [from, to) (or bytes [from, to) for a copy). */
    private record Work(RepackPlan.Step step, long from, long to) {}

    /** Writes {@code out}; returns the number of tensor bytes written. */
    public static long write(GgufFile in, RepackPlan plan, Path out, int threads, Progress progress) {
        GgufLayout layout = new GgufLayout(plan.metadata(), plan.entries(), in.alignment());
        List<Work> work = new ArrayList<>();
        AtomicIntegerArray pending = new AtomicIntegerArray(plan.steps().size());
        for (RepackPlan.Step s : plan.steps()) {
            int before = work.size();
            split(s, work);
            pending.set(s.index(), work.size() - before);
            if (work.size() == before) progress.advance(1, 0); // empty tensor
        }
        try (GgufOutput o = GgufOutput.create(out, layout)) {
            Parallel.forEach(work.size(), threads, i -> {
                Work w = work.get((int) i);
                long bytes = run(in, o, w);
                progress.advance(pending.decrementAndGet(w.step().index()) == 0 ? 1 : 0, bytes);
            });
            o.commit();
        }
        progress.done();
        return layout.fileSize() - layout.dataOffset();
    }

    private static void split(RepackPlan.Step s, List<Work> work) {
        long bytes = s.input().byteSize();
        if (!s.changes()) {
            for (long off = 0; off < bytes; off += 16 * CHUNK_BYTES) work.add(new Work(s, off, Math.min(bytes, off + 16 * CHUNK_BYTES)));
            return;
        }
        Interleaver il = s.interleaver();
        long nPerRow = s.input().dim(0);
        long groups = TensorRepacker.groups(il, s.input().rowCount());
        long groupBytes = Math.max(il.groupBytes(nPerRow), il.baseGroupBytes(nPerRow));
        long per = Math.max(1, CHUNK_BYTES / groupBytes);
        for (long g = 0; g < groups; g += per) work.add(new Work(s, g, Math.min(groups, g + per)));
    }

    private static long run(GgufFile in, GgufOutput o, Work w) {
        RepackPlan.Step s = w.step();
        MemorySegment src = in.data(s.input());
        if (!s.changes()) {
            o.write(s.index(), w.from(), src.asSlice(w.from(), w.to() - w.from()));
            return w.to() - w.from();
        }
        Interleaver il = s.interleaver();
        long nPerRow = s.input().dim(0);
        long srcGroup = s.input().type().rowSize(nPerRow) * il.rows();
        long dstGroup = s.outputType().rowSize(nPerRow) * il.rows();
        long n = w.to() - w.from();
        MemorySegment from = src.asSlice(w.from() * srcGroup, n * srcGroup);
        MemorySegment buf = MemorySegment.ofArray(buffer(Math.toIntExact(n * dstGroup))).asSlice(0, n * dstGroup);
        if (s.unpack()) TensorRepacker.unpack(il, from, buf, nPerRow, 0, n);
        else TensorRepacker.repack(s.input().type(), il, from, buf, nPerRow, 0, n);
        o.write(s.index(), w.from() * dstGroup, buf);
        return n * dstGroup;
    }

    private static byte[] buffer(int n) {
        byte[] b = BUFFER.get();
        if (b.length < n) {
            b = new byte[n];
            BUFFER.set(b);
        }
        return b;
    }
}
