package kiln.tensor.repack;

import kiln.tensor.GgmlType;

/**
 * ik's Q8_KV → Q8_KV_R8 ({@code repack_q8_KV} with {@code online = false}, {@code dequantize_row_q8_KV_r8}). A base
 * row is {@code f32 d; i32 sum; i8 q[n]} (8 bytes of row metadata); a group of 8 rows is {@code f32 d[8]} then the
 * quants in {@link ByteInterleaveR8}'s shuffle, {@code q[128c + 32l + 4k + i] = row_k.q[16c + 4l + i]}: 4 bytes of
 * metadata per row, so a group is {@code 32 + 8n} bytes. Value {@code d·q}. Repacking drops each row's sum of quants;
 * {@link #unpack} recomputes it, which gives back ik's row byte for byte (ik stores the sum of the very quants it
 * writes), and for arbitrary bytes gives the row with a consistent sum.
 */
final class Q8_KVR8 extends ByteInterleaveR8 {
    Q8_KVR8() {
        super(GgmlType.Q8_KV_R8, GgmlType.Q8_KV, 0, 32, 8, 4);
    }

    @Override
    void unpackMeta(byte[] y, byte[] x, int baseRow) {
        for (int k = 0; k < 8; k++) {
            int r = k * baseRow;
            copy4(y, 4 * k, x, r);
            int sum = 0;
            for (int j = r + meta; j < r + baseRow; j++) sum += x[j];
            putInt(x, r + 4, sum);
        }
    }

    @Override
    void dequantizeBlock(byte[] y, int yo, float[] out, int oo, int os, int[] L) {
        for (int k = 0; k < 8; k++) {
            float d = f32(y, 4 * k); // the group's row scales are at the start of the group array
            int o = oo + k * os;
            for (int j = 0; j < 16; j++) {
                int p = yo + 32 * (j >> 2) + 4 * k + (j & 3);
                out[o + j] = d * y[p];
                out[o + j + 16] = d * y[p + 128];
            }
        }
    }
}
