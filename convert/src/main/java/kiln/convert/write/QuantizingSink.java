package kiln.convert.write;

import kiln.quantize.Ftype;
import kiln.quantize.ImatrixInput;
import kiln.quantize.QuantizeCommand;
import kiln.quantize.QuantizeOptions;
import kiln.quantize.QuantizePlan;
import kiln.quantize.Quantizer;
import kiln.quantize.TensorTypeRule;
import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.Parallel;
import kiln.tensor.cli.Progress;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.Flavor;
import kiln.tensor.codec.RowCodec;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufOutput;
import kiln.tensor.gguf.TensorInfo;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * One-pass quantization: writes what {@code kiln quantize} would write from the bf16 file that {@link GgufSink}
 * would have written for the same metadata and planned tensors, without that file. The quantize plan is built from
 * the bf16 file's metadata and tensor infos; every row handed to the quantizer is the converter's value encoded to
 * the planned 16/32-bit type and decoded again (exactly the values the quantizer would read from the bf16 file), and
 * tensors the plan keeps are written in their planned type, as the converter writes them. All tensors are cut into
 * work units (a chunk of rows) run in one parallel loop, each unit writing at its final offset: memory stays bounded
 * by threads × one chunk. The output is atomic ({@link GgufOutput}).
 */
public final class QuantizingSink {
    /** Values per copy unit, as {@link TensorWriter}. */
    private static final long COPY_CHUNK_ELEMENTS = TensorWriter.CHUNK_ELEMENTS;

    private QuantizingSink() {}

    /** The decided plan, before anything is written: all option, imatrix and type checks happen here. */
    public static QuantizePlan plan(GgufMetadata meta, List<PlannedTensor> tensors, QuantizeSpec spec, int threads) {
        List<TensorInfo> infos = infos(tensors);
        Flavor flavor = spec.flavor() != null ? parseFlavor(spec.flavor()) : QuantizeCommand.defaultFlavor(meta, infos);
        if (flavor == Flavor.MAINLINE && spec.flavor() == null && Ftype.find(spec.type(), Flavor.MAINLINE) == null) {
            throw new KilnException("--outtype " + spec.type() + " is an ik_llama.cpp type; this output is quantized as mainline llama.cpp does"
                    + " (only an ik-layout DeepSeek output defaults to ik): add --flavor ik");
        }
        Ftype ftype = Ftype.parse(spec.type(), flavor);
        List<TensorTypeRule> rules = new ArrayList<>();
        for (String r : spec.tensorTypes()) rules.add(TensorTypeRule.parse(r, flavor == Flavor.MAINLINE));
        QuantizeOptions opts = new QuantizeOptions(flavor, ftype, spec.pure(), type(spec.outputTensorType()), type(spec.tokenEmbeddingType()),
                rules, spec.leaveOutputTensor(), false, threads);
        ImatrixInput im = spec.imatrix() == null ? null : ImatrixInput.load(spec.imatrix(), spec.imatrixLabel(), List.of(), List.of(), flavor);
        QuantizePlan plan = QuantizePlan.build(meta, infos, opts, im, false);
        Quantizer.checkCodecs(plan);
        return plan;
    }

    /** Writes the plan's output from the planned tensors' values. */
    public static Path write(Path output, QuantizePlan plan, List<PlannedTensor> tensors, int threads, Progress progress) {
        Map<String, PlannedTensor> byName = new HashMap<>();
        for (PlannedTensor t : tensors) byName.put(t.name(), t);
        Flavor flavor = plan.options().flavor();
        int n = plan.items().size();
        PlannedTensor[] source = new PlannedTensor[n];
        long[] chunk = new long[n];
        long[] start = new long[n + 1];
        int[] units = new int[n];
        for (int i = 0; i < n; i++) {
            QuantizePlan.Item it = plan.items().get(i);
            TensorInfo t = it.input();
            source[i] = byName.get(t.name());
            if (source[i].raw() != null) throw new IllegalStateException("one-pass quantization of a pre-encoded tensor " + t.name());
            chunk[i] = it.converts() ? Quantizer.chunkRows(t, it.target()) : Math.max(1, COPY_CHUNK_ELEMENTS / t.dim(0));
            units[i] = Math.toIntExact((t.rowCount() + chunk[i] - 1) / chunk[i]);
            start[i + 1] = start[i] + units[i];
        }
        AtomicIntegerArray remaining = new AtomicIntegerArray(units);
        try (GgufOutput out = GgufOutput.create(output, plan.layout())) {
            Parallel.forEach(start[n], threads, u -> {
                int found = java.util.Arrays.binarySearch(start, u);
                int i = found >= 0 ? found : -found - 2;
                while (i + 1 < start.length && start[i + 1] <= u) i++;
                QuantizePlan.Item it = plan.items().get(i);
                TensorInfo t = it.input();
                long r0 = (u - start[i]) * chunk[i];
                long rows = Math.min(chunk[i], t.rowCount() - r0);
                final int index = i;
                if (it.converts()) {
                    long outRow = it.target().rowSize(t.dim(0));
                    Quantizer.quantizeRows(t, it.target(), it.weights(), flavor, rowsAsWritten(source[i], flavor), r0, rows,
                            (first, seg) -> out.write(index, first * outRow, seg));
                } else {
                    out.write(index, r0 * t.rowSize(), encode(source[i], r0, rows));
                }
                progress.advance(remaining.decrementAndGet(i) == 0 ? 1 : 0, rows * t.rowSize());
            });
            out.commit();
        }
        progress.done();
        return output;
    }

    /** The tensor infos of the bf16 file the converter would write (offsets are not needed by the plan). */
    static List<TensorInfo> infos(List<PlannedTensor> tensors) {
        List<TensorInfo> infos = new ArrayList<>();
        for (PlannedTensor p : tensors) infos.add(new TensorInfo(p.name(), p.type(), p.ne(), 0, 0));
        return infos;
    }

    /** Rows of a planned tensor as the quantizer would read them back from the converter's file. */
    private static Quantizer.RowSource rowsAsWritten(PlannedTensor p, Flavor flavor) {
        final int ne0 = Math.toIntExact(p.ne()[0]);
        NonFiniteValues refused = NonFiniteValues.refused();
        if (p.type() == GgmlType.F32) {
            return (r, dst, off) -> {
                p.data().read(r * ne0, ne0, dst, off);
                refused.check(p.name(), dst, off, ne0, r * ne0, ne0);
            };
        }
        RowCodec writer = TensorWriter.codecFor(p.type());
        RowCodec reader = Codecs.require(p.type(), flavor);
        final long rowBytes = p.type().rowSize(ne0);
        ThreadLocal<MemorySegment> buf = ThreadLocal.withInitial(() -> MemorySegment.ofArray(new byte[Math.toIntExact(rowBytes)]));
        return (r, dst, off) -> {
            p.data().read(r * ne0, ne0, dst, off);
            refused.check(p.name(), dst, off, ne0, r * ne0, ne0);
            MemorySegment b = buf.get();
            writer.quantize(dst, off, b, 0, ne0, null);
            reader.dequantize(b, 0, dst, off, ne0);
        };
    }

    /** Rows [r0, r0+rows) of a planned tensor encoded to its planned type, as {@link TensorWriter} writes them. */
    private static MemorySegment encode(PlannedTensor p, long r0, long rows) {
        int ne0 = Math.toIntExact(p.ne()[0]);
        long rowBytes = p.type().rowSize(ne0);
        float[] values = new float[Math.toIntExact(rows * ne0)];
        p.data().read(r0 * ne0, values.length, values, 0);
        NonFiniteValues.refused().check(p.name(), values, 0, values.length, r0 * ne0, ne0);
        MemorySegment seg = MemorySegment.ofArray(new byte[Math.toIntExact(rows * rowBytes)]);
        RowCodec codec = TensorWriter.codecFor(p.type());
        for (long r = 0; r < rows; r++) codec.quantize(values, Math.toIntExact(r * ne0), seg, r * rowBytes, ne0, null);
        return seg;
    }

    private static GgmlType type(String s) {
        return s == null ? null : TensorTypeRule.parseType(s);
    }

    static Flavor parseFlavor(String s) {
        Flavor f = Flavor.parse(s);
        if (f == null) throw new KilnException("--flavor: unknown flavor '" + s + "' (expected mainline or ik)");
        return f;
    }

    /** Whether a name is a type {@code kiln quantize} knows in either flavour. */
    public static boolean isQuantizeType(String s) {
        return Ftype.find(s, Flavor.MAINLINE) != null || Ftype.find(s, Flavor.IK) != null;
    }

    /** Every quantize type name, mainline's then ik's own. */
    public static List<String> quantizeTypeNames() {
        List<String> names = new ArrayList<>(Ftype.names(Flavor.MAINLINE));
        for (String s : Ftype.names(Flavor.IK)) if (!names.contains(s)) names.add(s);
        return names;
    }
}
