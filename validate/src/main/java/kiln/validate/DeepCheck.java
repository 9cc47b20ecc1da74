package kiln.validate;

import kiln.tensor.GgmlType;
import kiln.tensor.Parallel;
import kiln.tensor.cli.Progress;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code validate --deep}: reads every block of every tensor. NaN/Inf in the values (through the type's codec)
 * or in a block scale are errors that name tensor, row and block; a tensor whose bytes are all zero is a warning.
 * Values of types without a codec yet are "not checked: no codec" (their block scales and zero bytes still are).
 */
final class DeepCheck {
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    final List<String> errors = new ArrayList<>();
    final List<String> warnings = new ArrayList<>();
    final Map<GgmlType, Integer> notChecked = new LinkedHashMap<>();
    long tensorsChecked;

    /** Checks every tensor, in parallel (one tensor per task); findings are reported in file order. */
    static DeepCheck run(GgufFile file) {
        List<TensorInfo> tensors = file.tensors();
        DeepCheck[] each = new DeepCheck[tensors.size()];
        Progress progress = new Progress("validate --deep", tensors.size(), file.tensorBytes());
        Parallel.forEach(tensors.size(), Parallel.defaultThreads(), i -> {
            TensorInfo t = tensors.get((int) i);
            DeepCheck d = new DeepCheck();
            d.check(t, file.data(t));
            each[(int) i] = d;
            progress.advance(1, t.byteSize());
        });
        progress.done();
        DeepCheck all = new DeepCheck();
        for (DeepCheck d : each) {
            all.errors.addAll(d.errors);
            all.warnings.addAll(d.warnings);
            d.notChecked.forEach((k, v) -> all.notChecked.merge(k, v, Integer::sum));
            all.tensorsChecked += d.tensorsChecked;
        }
        return all;
    }

    void check(TensorInfo t, MemorySegment data) {
        tensorsChecked++;
        if (t.elementCount() == 0) return; // nothing stored (rows of zero length)
        if (allZero(data)) warnings.add("tensor '" + t.name() + "' is all zeros");
        int[] scales = BlockScales.offsets(t.type());
        if (scales != null) checkScales(t, data, scales);
        RowCodec codec = Codecs.find(t.type());
        int rowsPerCall = t.type().isInterleaved() ? t.type().interleave() : 1;
        if (codec == null || t.dim(0) * rowsPerCall > Integer.MAX_VALUE || t.rowCount() % rowsPerCall != 0) {
            if (t.type().isQuantized() || t.type().typeSize() > 0) notChecked.merge(t.type(), 1, Integer::sum);
            return;
        }
        checkValues(t, data, codec);
    }

    private static boolean allZero(MemorySegment s) {
        long n = s.byteSize();
        long i = 0;
        for (; i + 8 <= n; i += 8) if (s.get(LONG, i) != 0) return false;
        for (; i < n; i++) if (s.get(ValueLayout.JAVA_BYTE, i) != 0) return false;
        return true;
    }

    private void checkScales(TensorInfo t, MemorySegment data, int[] offsets) {
        GgmlType type = t.type();
        int rowsPerBlock = type.isInterleaved() ? type.interleave() : 1;
        long blockBytes = (long) type.typeSize() * rowsPerBlock;
        long blocksPerRow = t.dim(0) / type.blockSize();
        long groups = t.rowCount() / rowsPerBlock;
        long groupBytes = t.rowSize() * rowsPerBlock;
        long bad = 0;
        String first = null;
        for (long g = 0; g < groups; g++) {
            for (long b = 0; b < blocksPerRow; b++) {
                long at = g * groupBytes + b * blockBytes;
                for (int k = 0; k < offsets.length; k++) {
                    short h = data.get(SHORT, at + offsets[k]);
                    if ((h & 0x7C00) == 0x7C00) {
                        bad++;
                        if (first == null) {
                            long row = g * rowsPerBlock + (rowsPerBlock > 1 ? k % rowsPerBlock : 0);
                            first = "tensor '" + t.name() + "' row " + row + " block " + b + ": block scale is "
                                    + ((h & 0x3FF) != 0 ? "NaN" : "Inf");
                        }
                    }
                }
            }
        }
        if (first != null) errors.add(first + (bad > 1 ? " (" + bad + " bad scales in this tensor)" : ""));
    }

    /** Decodes the tensor a row at a time (an interleaved type: a group of rows at a time) and reports NaN/Inf. */
    private void checkValues(TensorInfo t, MemorySegment data, RowCodec codec) {
        long ne0 = t.dim(0);
        if (ne0 <= 0) return;
        int rowsPerCall = t.type().isInterleaved() ? t.type().interleave() : 1;
        float[] values = new float[(int) (ne0 * rowsPerCall)];
        long rowSize = t.rowSize();
        int block = t.type().blockSize();
        long bad = 0;
        String first = null;
        for (long r0 = 0; r0 < t.rowCount(); r0 += rowsPerCall) {
            codec.dequantize(data, r0 * rowSize, values, 0, values.length);
            for (int i = 0; i < values.length; i++) {
                float v = values[i];
                if (Float.isNaN(v) || Float.isInfinite(v)) {
                    bad++;
                    if (first == null) {
                        long col = i % ne0;
                        first = "tensor '" + t.name() + "' row " + (r0 + i / ne0) + (block > 1 ? " block " + col / block : " element " + col)
                                + ": " + (Float.isNaN(v) ? "NaN" : "Inf");
                    }
                }
            }
        }
        if (first != null) errors.add(first + (bad > 1 ? " (" + bad + " bad values in this tensor)" : ""));
    }

    /** "q4_k (23 tensors), q8_0 (9 tensors)" of the types whose values were not checked. */
    String notCheckedSummary() {
        StringBuilder sb = new StringBuilder();
        for (var e : notChecked.entrySet()) {
            if (!sb.isEmpty()) sb.append(", ");
            sb.append(e.getKey().ggmlName()).append(" (").append(e.getValue()).append(e.getValue() == 1 ? " tensor)" : " tensors)");
        }
        return sb.toString();
    }
}
