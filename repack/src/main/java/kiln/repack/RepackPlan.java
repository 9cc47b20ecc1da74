package kiln.repack;

import kiln.tensor.repack.RepackFileTypes;
import kiln.tensor.FileType;
import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufLayout;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.repack.Interleaver;
import kiln.tensor.repack.Interleavers;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * What {@code kiln repack} (or {@code --undo}) will do to each tensor of an input file, and the output metadata —
 * decided before any data is touched.
 */
public record RepackPlan(List<Step> steps, GgufMetadata metadata, long inputFileType, long outputFileType) {

    /** One tensor: copied unchanged ({@code interleaver == null}), repacked, or unpacked. */
    public record Step(int index, TensorInfo input, GgmlType outputType, Interleaver interleaver, boolean unpack) {
        public boolean changes() {
            return interleaver != null;
        }
    }

    static final String FILE_TYPE = "general.file_type";
    static final String QUANT_VERSION = "general.quantization_version";
    private static final String[] SPLIT_KEYS = {"split.no", "split.count", "split.tensors.count"};

    /** Number of tensors whose type changes. */
    public int changedCount() {
        int n = 0;
        for (Step s : steps) if (s.changes()) n++;
        return n;
    }

    /** Output tensor layout entries, in input order. */
    public List<GgufLayout.Entry> entries() {
        List<GgufLayout.Entry> out = new ArrayList<>(steps.size());
        for (Step s : steps) out.add(new GgufLayout.Entry(s.input().name(), s.outputType(), s.input().ne()));
        return out;
    }

    /**
     * ik's {@code llama-quantize --repack}: every tensor for which {@code iqk_repacked_type} gives an interleaved type
     * and (when patterns are given) some pattern is found in its name.
     */
    public static RepackPlan repack(GgufFile in, List<Pattern> patterns, boolean bf16Build) {
        return repack(in, patterns, bf16Build, false);
    }

    /**
     * As {@link #repack(GgufFile, List, boolean)}; with {@code skipUnsupported}, tensors that ik would repack into a type
     * Kiln cannot produce yet are left unchanged instead of failing (the output then differs from ik's).
     */
    public static RepackPlan repack(GgufFile in, List<Pattern> patterns, boolean bf16Build, boolean skipUnsupported) {
        List<Step> steps = new ArrayList<>();
        List<TensorInfo> ts = in.tensors();
        for (int i = 0; i < ts.size(); i++) {
            TensorInfo t = ts.get(i);
            GgmlType target = Interleavers.ikRepackedType(t.name(), t.type(), t.ne(), bf16Build);
            if (target != null && !matches(patterns, t.name())) target = null;
            if (target == null) {
                steps.add(new Step(i, t, t.type(), null, false));
                continue;
            }
            Interleaver il = Interleavers.forPacked(target);
            if (il == null && skipUnsupported) {
                steps.add(new Step(i, t, t.type(), null, false));
                continue;
            }
            if (il == null) {
                throw new KilnException(in.path() + ": tensor '" + t.name() + "' is " + t.type().ggmlName() + ", which ik repacks to "
                        + target.ggmlName() + "; Kiln cannot do that yet (supported: " + Interleavers.supported()
                        + "); --skip-unsupported leaves such tensors as they are");
            }
            if (target == GgmlType.BF16_R16 && t.dim(0) % 2 != 0) {
                throw new KilnException(in.path() + ": tensor '" + t.name() + "' has an odd row length " + t.dim(0)
                        + ", which BF16_R16 cannot hold (ik's repack would abort); use --keep-bf16 or --repack-pattern to leave it");
            }
            steps.add(new Step(i, t, target, il, false));
        }
        GgufMetadata md = in.metadata().copy();
        long ftype = inputFileType(in);
        long outType = RepackFileTypes.repacked(ftype);
        md.put(QUANT_VERSION, GgufValue.ofU32(2));
        for (String k : SPLIT_KEYS) md.remove(k);
        md.put(FILE_TYPE, GgufValue.ofU32((int) outType));
        return new RepackPlan(steps, md, ftype, outType);
    }

    /**
     * The inverse: every interleaved tensor (matching the patterns, when given) back to its base type, and
     * {@code general.file_type} back to the base file type ({@link RepackFileTypes#undo}, or {@code fileTypeOverride}).
     */
    public static RepackPlan undo(GgufFile in, List<Pattern> patterns, Long fileTypeOverride) {
        List<Step> steps = new ArrayList<>();
        List<TensorInfo> after = new ArrayList<>();
        List<TensorInfo> ts = in.tensors();
        for (int i = 0; i < ts.size(); i++) {
            TensorInfo t = ts.get(i);
            if (!t.type().isInterleaved() || !matches(patterns, t.name())) {
                steps.add(new Step(i, t, t.type(), null, false));
                after.add(t);
                continue;
            }
            Interleaver il = Interleavers.forPacked(t.type());
            if (il == null || t.type() == GgmlType.Q8_K_R8 || t.type() == GgmlType.Q8_K_R16) {
                String why = t.type().base() == null
                        ? "ik's own four-row type, not a repack of a base type: there is nothing to unpack (requantize it with kiln quantize instead)"
                        : il == null ? "Kiln cannot unpack it yet (supported: " + Interleavers.supported() + ")"
                        : "its base type q8_K is not a file type (requantize it with kiln quantize instead)";
                throw new KilnException(in.path() + ": tensor '" + t.name() + "' is " + t.type().ggmlName() + "; " + why);
            }
            steps.add(new Step(i, t, il.baseType(), il, true));
            after.add(new TensorInfo(t.name(), il.baseType(), t.ne(), 0, 0));
        }
        GgufMetadata md = in.metadata().copy();
        for (String k : SPLIT_KEYS) md.remove(k);
        long ftype = inputFileType(in);
        long outType;
        if (fileTypeOverride != null) {
            outType = fileTypeOverride;
            md.put(FILE_TYPE, GgufValue.ofU32((int) outType));
        } else if ((ftype & FileType.GUESSED) != 0) {
            // ik wrote its guess because the original file had no general.file_type: remove it again
            outType = ftype;
            md.remove(FILE_TYPE);
        } else {
            outType = RepackFileTypes.undo(ftype, after);
            md.put(FILE_TYPE, GgufValue.ofU32((int) outType));
        }
        return new RepackPlan(steps, md, ftype, outType);
    }

    /** {@code general.file_type} as ik's loader sees it (the stored value, or its guess with the GUESSED flag). */
    static long inputFileType(GgufFile in) {
        GgufValue v = in.metadata().get(FILE_TYPE);
        if (v == null) return RepackFileTypes.guess(in.tensors());
        return v.asLong() & 0xFFFFFFFFL;
    }

    private static boolean matches(List<Pattern> patterns, String name) {
        if (patterns == null || patterns.isEmpty()) return true;
        for (Pattern p : patterns) if (p.matcher(name).find()) return true;
        return false;
    }
}
