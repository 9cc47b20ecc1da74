package kiln.convert.write;

import kiln.tensor.GgmlType;
import kiln.tensor.repack.Interleaver;
import kiln.tensor.KilnException;
import kiln.tensor.Parallel;
import kiln.tensor.cli.Progress;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.Flavor;
import kiln.tensor.codec.RowCodec;
import kiln.tensor.gguf.GgufOutput;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

/**
 * Converts planned tensors into open outputs in parallel, in chunks of whole rows of at most {@link #CHUNK_ELEMENTS}
 * values, so memory is bounded by threads × chunk whatever the tensor or model size.
 */
public final class TensorWriter {
    /** Values per work item: 1 M floats = 4 MiB of f32 per thread, plus its encoded bytes (at most 4 MiB). */
    static final long CHUNK_ELEMENTS = 1L << 20;

    private record Work(int tensor, long firstRow, long rows) {}

    /** Where each planned tensor goes: which output and which index in it. */
    public record Target(GgufOutput out, int index) {}

    private TensorWriter() {}

    public static void write(List<PlannedTensor> tensors, List<Target> targets, int threads, Progress progress, NonFiniteValues nonFinite) {
        List<Work> work = new ArrayList<>();
        RowCodec[] codecs = new RowCodec[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            PlannedTensor t = tensors.get(i);
            codecs[i] = t.raw() != null ? null : codecFor(t.type());
            long rowLen = t.ne()[0];
            long rows = t.elements() / rowLen;
            long perChunk = Math.max(1, CHUNK_ELEMENTS / rowLen);
            if (t.unpack() != null) perChunk = (perChunk + t.unpack().rows() - 1) / t.unpack().rows() * t.unpack().rows();
            if (rowLen > Integer.MAX_VALUE / 2) throw new KilnException("tensor '" + t.name() + "': rows of " + rowLen + " values are too long");
            for (long r = 0; r < rows; r += perChunk) work.add(new Work(i, r, Math.min(perChunk, rows - r)));
        }
        Parallel.forEach(work.size(), threads, wi -> {
            Work w = work.get((int) wi);
            PlannedTensor t = tensors.get(w.tensor());
            long rowLen = t.ne()[0];
            long rowBytes = t.type().rowSize(rowLen);
            Target tg = targets.get(w.tensor());
            boolean last = w.firstRow() + w.rows() == t.elements() / rowLen;
            if (t.unpack() != null) {
                MemorySegment part = unpack(t, w.firstRow(), w.rows());
                tg.out().write(tg.index(), w.firstRow() * rowBytes, part);
                progress.advance(last ? 1 : 0, part.byteSize());
                return;
            }
            if (t.raw() != null) {
                MemorySegment part = t.raw().asSlice(w.firstRow() * rowBytes, w.rows() * rowBytes);
                tg.out().write(tg.index(), w.firstRow() * rowBytes, part);
                progress.advance(last ? 1 : 0, part.byteSize());
                return;
            }
            int n = (int) (w.rows() * rowLen);
            float[] values = new float[n];
            t.data().read(w.firstRow() * rowLen, n, values, 0);
            (t.type().isQuantized() ? NonFiniteValues.refused() : nonFinite).check(t.name(), values, 0, n, w.firstRow() * rowLen, rowLen);
            byte[] bytes = new byte[(int) (rowBytes * w.rows())];
            MemorySegment seg = MemorySegment.ofArray(bytes);
            for (long r = 0; r < w.rows(); r++) {
                codecs[w.tensor()].quantize(values, (int) (r * rowLen), seg, r * rowBytes, (int) rowLen, null);
            }
            tg.out().write(tg.index(), w.firstRow() * rowBytes, seg);
            progress.advance(last ? 1 : 0, bytes.length);
        });
    }

    /** Rows [r0, r0+rows) of an interleaved raw tensor as its base type's bytes (whole groups: r0 and rows are multiples of the group). */
    private static MemorySegment unpack(PlannedTensor t, long r0, long rows) {
        Interleaver il = t.unpack();
        long rowLen = t.ne()[0];
        long packedGroup = il.groupBytes(rowLen), baseGroup = il.baseGroupBytes(rowLen);
        long firstGroup = r0 / il.rows(), groups = rows / il.rows();
        MemorySegment out = MemorySegment.ofArray(new byte[Math.toIntExact(groups * baseGroup)]);
        for (long g = 0; g < groups; g++) il.unpack(t.raw(), (firstGroup + g) * packedGroup, out, g * baseGroup, rowLen);
        return out;
    }

    static RowCodec codecFor(GgmlType type) {
        RowCodec c = Codecs.find(type, Flavor.MAINLINE);
        if (c == null || !c.canQuantize()) {
            throw new KilnException("this build of Kiln cannot write " + type.ggmlName() + " yet (its codec is missing)");
        }
        return c;
    }
}
