package kiln.runtime.model;

import kiln.runtime.kernel.Weight;
import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Derives the MLA tensors a file lacks, as ik_llama.cpp does at load (spec ik-llama-formats.md §1.4), for any
 * attention size: attn_k_b/attn_v_b from attn_kv_b (k_b transposed per head; f32/f16/bf16 keep their type,
 * quantized sources become Q8_0), or attn_kv_b from attn_k_b/attn_v_b (bf16 if both are bf16, f16 if both
 * are f16, else Q8_0). Kiln falls back to F32 where it has no Q8_0 quantizer. Results live off-heap in the
 * model's arena.
 */
final class MlaDerivation {
    private MlaDerivation() {}

    /** k_b: rows h·kvl + c, each of nope values, k_b[h·kvl+c][j] = kv_b[h·(nope+dv)+j][c]. */
    static Weight kbFromKvb(Weight kvb, int nHead, int nope, int dv, int kvl, Arena arena, String name) {
        float[] row = new float[kvl];
        float[] group = new float[kvl * kvb.interleave()];
        float[] out = new float[nope * kvl];
        GgmlType target = targetFor(kvb.type());
        RowCodec codec = codecOf(target);
        long rb = target.rowSize(nope);
        MemorySegment seg = arena.allocate(rb * nHead * kvl, 64);
        for (int h = 0; h < nHead; h++) {
            for (int j = 0; j < nope; j++) {
                kvb.dequantizeRow((long) h * (nope + dv) + j, row, 0, group);
                for (int c = 0; c < kvl; c++) out[c * nope + j] = row[c];
            }
            for (int c = 0; c < kvl; c++) codec.quantize(out, c * nope, seg, ((long) h * kvl + c) * rb, nope, null);
        }
        return new Weight(name, target, codec, seg, (long) nHead * kvl, nope);
    }

    /** v_b: rows h·dv + j, the V rows of kv_b (raw row copy when the type is not interleaved). */
    static Weight vbFromKvb(Weight kvb, int nHead, int nope, int dv, int kvl, Arena arena, String name) {
        if (kvb.interleave() == 1) {
            long rb = kvb.rowBytes();
            MemorySegment seg = arena.allocate(rb * nHead * dv, 64);
            for (int h = 0; h < nHead; h++) {
                MemorySegment.copy(kvb.data(), ((long) h * (nope + dv) + nope) * rb, seg, (long) h * dv * rb, dv * rb);
            }
            return new Weight(name, kvb.type(), kvb.codec(), seg, (long) nHead * dv, kvl);
        }
        GgmlType target = targetFor(kvb.type());
        RowCodec codec = codecOf(target);
        long rb = target.rowSize(kvl);
        MemorySegment seg = arena.allocate(rb * nHead * dv, 64);
        float[] row = new float[kvl];
        float[] group = new float[kvl * kvb.interleave()];
        for (int h = 0; h < nHead; h++) {
            for (int j = 0; j < dv; j++) {
                kvb.dequantizeRow((long) h * (nope + dv) + nope + j, row, 0, group);
                codec.quantize(row, 0, seg, ((long) h * dv + j) * rb, kvl, null);
            }
        }
        return new Weight(name, target, codec, seg, (long) nHead * dv, kvl);
    }

    /** kv_b from k_b and v_b: per head nope K rows (transposed k_b) then dv V rows, each of kvl values. */
    static Weight kvbFromKbVb(Weight kb, Weight vb, int nHead, int nope, int dv, int kvl, Arena arena, String name) {
        GgmlType target;
        if (kb.type() == GgmlType.BF16 && vb.type() == GgmlType.BF16) target = GgmlType.BF16;
        else if (kb.type() == GgmlType.F16 && vb.type() == GgmlType.F16) target = GgmlType.F16;
        else if (kb.type() == GgmlType.F32 && vb.type() == GgmlType.F32) target = GgmlType.F32;
        else target = quantTarget();
        RowCodec codec = codecOf(target);
        long rb = target.rowSize(kvl);
        MemorySegment seg = arena.allocate(rb * nHead * (nope + dv), 64);
        float[] kt = new float[nope * kvl];
        float[] row = new float[Math.max(nope, kvl)];
        float[] group = new float[Math.max(nope * kb.interleave(), kvl * vb.interleave())];
        for (int h = 0; h < nHead; h++) {
            for (int c = 0; c < kvl; c++) {
                kb.dequantizeRow((long) h * kvl + c, row, 0, group);
                for (int j = 0; j < nope; j++) kt[j * kvl + c] = row[j];
            }
            for (int j = 0; j < nope; j++) codec.quantize(kt, j * kvl, seg, ((long) h * (nope + dv) + j) * rb, kvl, null);
            for (int j = 0; j < dv; j++) {
                vb.dequantizeRow((long) h * dv + j, row, 0, group);
                codec.quantize(row, 0, seg, ((long) h * (nope + dv) + nope + j) * rb, kvl, null);
            }
        }
        return new Weight(name, target, codec, seg, (long) nHead * (nope + dv), kvl);
    }

    private static GgmlType targetFor(GgmlType source) {
        return switch (source) {
            case F32, F16, BF16 -> source;
            default -> quantTarget();
        };
    }

    private static GgmlType quantTarget() {
        RowCodec q8 = Codecs.find(GgmlType.Q8_0);
        return q8 != null && q8.canQuantize() ? GgmlType.Q8_0 : GgmlType.F32;
    }

    private static RowCodec codecOf(GgmlType t) {
        return Codecs.find(t);
    }
}
