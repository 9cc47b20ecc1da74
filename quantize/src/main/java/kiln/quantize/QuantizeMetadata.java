package kiln.quantize;

import kiln.tensor.codec.Flavor;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;

import java.nio.charset.StandardCharsets;

/**
 * The output's key/values exactly as each llama-quantize writes them. Mainline's gguf writer removes and appends
 * ({@link GgufMetadata#setLast}): {@code general.quantization_version} and {@code general.file_type} move to the end,
 * then the imatrix keys follow as u32/str. ik's older gguf writer overwrites in place ({@link GgufMetadata#put}):
 * {@code general.file_type} keeps its position, the imatrix keys (i32/str) are appended before a new file_type.
 */
final class QuantizeMetadata {
    private QuantizeMetadata() {}

    static final String QV = "general.quantization_version";
    static final String FT = "general.file_type";

    static GgufMetadata build(GgufMetadata input, Flavor flavor, int ftype, ImatrixInput im, boolean hideImatrix) {
        GgufMetadata md = input.copy();
        boolean ik = flavor == Flavor.IK;
        set(md, ik, QV, GgufValue.ofU32(2));
        if (!ik) set(md, false, FT, GgufValue.ofU32(ftype));
        md.remove("split.no");
        md.remove("split.count");
        md.remove("split.tensors.count");
        if (im != null) {
            set(md, ik, "quantize.imatrix.file", GgufValue.ofString(hideImatrix ? "top_secret" : truncate127(im.label())));
            if (im.dataset() != null && !im.dataset().isEmpty()) {
                set(md, ik, "quantize.imatrix.dataset", GgufValue.ofString(hideImatrix ? "top_secret" : truncate127(im.dataset())));
            }
            int n = hideImatrix ? 0 : im.entries();
            set(md, ik, "quantize.imatrix.entries_count", ik ? GgufValue.ofI32(n) : GgufValue.ofU32(n));
            if (im.chunkCount() > 0) {
                int c = hideImatrix ? 0 : im.chunkCount();
                set(md, ik, "quantize.imatrix.chunks_count", ik ? GgufValue.ofI32(c) : GgufValue.ofU32(c));
            }
        }
        if (ik) set(md, true, FT, GgufValue.ofU32(ftype));
        return md;
    }

    private static void set(GgufMetadata md, boolean inPlace, String key, GgufValue v) {
        if (inPlace) md.put(key, v);
        else md.setLast(key, v);
    }

    /** strncpy into a 128-byte buffer: at most 127 bytes. */
    static String truncate127(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length <= 127) return s;
        return new String(b, 0, 127, StandardCharsets.UTF_8);
    }
}
