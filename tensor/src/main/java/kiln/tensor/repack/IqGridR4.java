package kiln.tensor.repack;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.grid.GridCodecs;

import java.util.Arrays;

/**
 * ik's four-row forms of the i-quant grid types ({@code repack_iq2_xxs}, {@code repack_iq2_xs}, {@code repack_iq2_s},
 * {@code repack_iq3_xxs}, {@code repack_iq3_s} in iqk_quantize.cpp). Each block column holds the 4 rows' fp16 scales,
 * then each field of the base blocks with the 4 rows' entries side by side per 32 values:
 * <ul>
 *   <li>IQ2_XXS_R4 (264 B): {@code d[4]; sas[128]; qs[128]} — per 32 values and row one u32 of 4 bytes
 *       {@code scrambled signs << 1 | scale bit l}, and the 4 grid indices at {@code qs[16ib+4k+i]}.</li>
 *   <li>IQ2_XS_R4 (296 B): {@code d[4]; u16 qs[128]; scales[32]} — indices with scrambled signs at
 *       {@code qs[16ib+4k+i]}, scales at {@code [4ib+k]}.</li>
 *   <li>IQ2_S_R4 (328 B): {@code d[4]; qs[128]; qh[32]; signs[128]; scales[32]} — plain copies at
 *       {@code [16ib+4k+i]} / {@code [4ib+k]}.</li>
 *   <li>IQ3_XXS_R4 (392 B): {@code d[4]; sas[128]; qs[256]} — as IQ2_XXS_R4 with 8 indices per 32 values at
 *       {@code qs[32ib+8k+i]}.</li>
 *   <li>IQ3_S_R4 (440 B): {@code d[4]; qs[256]; qh[32]; signs[128]; scales[16]} — indices at {@code qs[32ib+k+8i]}
 *       and {@code [32ib+k+8i+4]}, sign bits transposed (bit 2m/2m+1 of {@code signs[16ib+4k+i]} = bits i/4+i of
 *       the base's {@code signs[4ib+m]}), scale nibble of 32-block b of row k at {@code scales[l%16]} nibble
 *       {@code l/16}, l = 4b+k.</li>
 * </ul>
 * "Scrambled" signs ({@code scrambled_sign}) are the prefix XOR t of the 8 signs {@code ksigns_iq2xs[s]}, so that
 * {@code t ^ (t << 1)} gives them back. Dequantization unpacks a block column and runs the base type's decoder.
 */
final class IqGridR4 extends BlockInterleaver {
    private static final ThreadLocal<byte[]> BASE = ThreadLocal.withInitial(() -> new byte[4 * 110]);

    private IqGridR4(GgmlType packed, GgmlType base, int baseBytes) {
        super(packed, base, 256, baseBytes, 4 * baseBytes);
    }

    static IqGridR4 iq2xxs() { return new IqGridR4(GgmlType.IQ2_XXS_R4, GgmlType.IQ2_XXS, 66); }
    static IqGridR4 iq2xs() { return new IqGridR4(GgmlType.IQ2_XS_R4, GgmlType.IQ2_XS, 74); }
    static IqGridR4 iq2s() { return new IqGridR4(GgmlType.IQ2_S_R4, GgmlType.IQ2_S, 82); }
    static IqGridR4 iq3xxs() { return new IqGridR4(GgmlType.IQ3_XXS_R4, GgmlType.IQ3_XXS, 98); }
    static IqGridR4 iq3s() { return new IqGridR4(GgmlType.IQ3_S_R4, GgmlType.IQ3_S, 110); }

    /** ik's {@code scrambled_sign}: the prefix XOR of the 8 signs of sign index s (7 bits; the 8th is their parity). */
    static int scramble(int s) {
        int signs = s | (Integer.bitCount(s) & 1) << 7, t = 0, acc = 0;
        for (int j = 0; j < 8; j++) {
            acc ^= signs >> j & 1;
            t |= acc << j;
        }
        return t;
    }

    /** The inverse of {@link #scramble}. */
    static int unscramble(int t) {
        return (t ^ t << 1) & 127;
    }

    @Override
    void packBlock(byte[] x, int xo, int xs, byte[] y, int yo, int[] tmp) {
        Arrays.fill(y, yo, yo + packedBlockBytes, (byte) 0);
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            copy2(x, r, y, yo + 2 * k);
            switch (packedType()) {
                case IQ2_XXS_R4 -> packSas(x, r, y, yo, k, 8, 4, 136, 16);
                case IQ3_XXS_R4 -> packSas(x, r, y, yo, k, 8, 8, 136, 32);
                case IQ2_XS_R4 -> {
                    for (int ib = 0; ib < 8; ib++) {
                        for (int i = 0; i < 4; i++) {
                            int v = u16(x, r + 2 + 2 * (4 * ib + i));
                            put16(y, yo + 8 + 2 * (16 * ib + 4 * k + i), (v & 511) | scramble(v >>> 9) << 9);
                        }
                        y[yo + 264 + 4 * ib + k] = x[r + 66 + ib];
                    }
                }
                case IQ2_S_R4 -> {
                    for (int ib = 0; ib < 8; ib++) {
                        y[yo + 296 + 4 * ib + k] = x[r + 74 + ib];
                        y[yo + 136 + 4 * ib + k] = x[r + 66 + ib];
                        for (int i = 0; i < 4; i++) {
                            y[yo + 8 + 16 * ib + 4 * k + i] = x[r + 2 + 4 * ib + i];
                            y[yo + 168 + 16 * ib + 4 * k + i] = x[r + 34 + 4 * ib + i];
                        }
                    }
                }
                case IQ3_S_R4 -> {
                    for (int ib = 0; ib < 4; ib++) {
                        int sc = u8(x, r + 106 + ib), j = 8 * ib + k;
                        y[yo + 424 + j % 16] |= (byte) ((sc & 0xf) << 4 * (j / 16));
                        y[yo + 424 + (j + 4) % 16] |= (byte) ((sc >> 4) << 4 * ((j + 4) / 16));
                    }
                    for (int ib = 0; ib < 8; ib++) {
                        y[yo + 264 + 4 * ib + k] = x[r + 66 + ib];
                        for (int i = 0; i < 4; i++) {
                            y[yo + 8 + 32 * ib + k + 8 * i] = x[r + 2 + 8 * ib + i];
                            y[yo + 8 + 32 * ib + k + 8 * i + 4] = x[r + 2 + 8 * ib + i + 4];
                            int s = 0;
                            for (int m = 0; m < 4; m++) {
                                int b = u8(x, r + 74 + 4 * ib + m);
                                s |= (b >> i & 1) << 2 * m | (b >> (4 + i) & 1) << (2 * m + 1);
                            }
                            y[yo + 296 + 16 * ib + 4 * k + i] = (byte) s;
                        }
                    }
                }
                default -> throw new IllegalStateException(packedType().ggmlName());
            }
        }
    }

    @Override
    void unpackBlock(byte[] y, int yo, byte[] x, int xo, int xs, int[] tmp) {
        for (int k = 0; k < 4; k++) {
            int r = xo + k * xs;
            Arrays.fill(x, r, r + baseBlockBytes, (byte) 0);
            copy2(y, yo + 2 * k, x, r);
            switch (packedType()) {
                case IQ2_XXS_R4 -> unpackSas(y, yo, x, r, k, 8, 4, 136, 16);
                case IQ3_XXS_R4 -> unpackSas(y, yo, x, r, k, 8, 8, 136, 32);
                case IQ2_XS_R4 -> {
                    for (int ib = 0; ib < 8; ib++) {
                        for (int i = 0; i < 4; i++) {
                            int q = u16(y, yo + 8 + 2 * (16 * ib + 4 * k + i));
                            put16(x, r + 2 + 2 * (4 * ib + i), (q & 511) | unscramble(q >>> 9) << 9);
                        }
                        x[r + 66 + ib] = y[yo + 264 + 4 * ib + k];
                    }
                }
                case IQ2_S_R4 -> {
                    for (int ib = 0; ib < 8; ib++) {
                        x[r + 74 + ib] = y[yo + 296 + 4 * ib + k];
                        x[r + 66 + ib] = y[yo + 136 + 4 * ib + k];
                        for (int i = 0; i < 4; i++) {
                            x[r + 2 + 4 * ib + i] = y[yo + 8 + 16 * ib + 4 * k + i];
                            x[r + 34 + 4 * ib + i] = y[yo + 168 + 16 * ib + 4 * k + i];
                        }
                    }
                }
                case IQ3_S_R4 -> {
                    for (int ib = 0; ib < 4; ib++) {
                        int j = 8 * ib + k;
                        int lo = u8(y, yo + 424 + j % 16) >> 4 * (j / 16) & 0xf;
                        int hi = u8(y, yo + 424 + (j + 4) % 16) >> 4 * ((j + 4) / 16) & 0xf;
                        x[r + 106 + ib] = (byte) (lo | hi << 4);
                    }
                    int[] signs = tmp;
                    for (int ib = 0; ib < 8; ib++) {
                        x[r + 66 + ib] = y[yo + 264 + 4 * ib + k];
                        Arrays.fill(signs, 0, 4, 0);
                        for (int i = 0; i < 4; i++) {
                            x[r + 2 + 8 * ib + i] = y[yo + 8 + 32 * ib + k + 8 * i];
                            x[r + 2 + 8 * ib + i + 4] = y[yo + 8 + 32 * ib + k + 8 * i + 4];
                            int s = u8(y, yo + 296 + 16 * ib + 4 * k + i);
                            for (int m = 0; m < 4; m++) signs[m] |= (s >> 2 * m & 1) << i | (s >> (2 * m + 1) & 1) << (4 + i);
                        }
                        for (int m = 0; m < 4; m++) x[r + 74 + 4 * ib + m] = (byte) signs[m];
                    }
                }
                default -> throw new IllegalStateException(packedType().ggmlName());
            }
        }
    }

    @Override
    void dequantizeBlock(byte[] y, int yo, float[] out, int outOff, int outStride, int[] tmp) {
        byte[] base = BASE.get();
        unpackBlock(y, yo, base, 0, baseBlockBytes, tmp);
        for (int k = 0; k < 4; k++) GridCodecs.decodeBlock(baseType(), base, k * baseBlockBytes, out, outOff + k * outStride);
    }

    /**
     * IQ2_XXS / IQ3_XXS: {@code perBlock} index bytes per 32 values (from base byte {@code 2 + 8ib}; the u32 of signs
     * and scale follows them in IQ2_XXS and sits at {@code 66 + 4ib} in IQ3_XXS) → {@code qs[stride·ib + perBlock·k + i]}
     * and {@code sas[4ib+k]}.
     */
    private static void packSas(byte[] x, int r, byte[] y, int yo, int k, int sas, int perBlock, int qs, int stride) {
        for (int ib = 0; ib < 8; ib++) {
            for (int i = 0; i < perBlock; i++) y[yo + qs + stride * ib + perBlock * k + i] = x[r + 2 + 8 * ib + i];
            int aux = getInt(x, r + baseSas(perBlock, ib)), scale = aux >>> 28, packed = 0;
            for (int l = 0; l < 4; l++) packed |= (scramble(aux >>> 7 * l & 127) << 1 | scale >> l & 1) << 8 * l;
            putInt(y, yo + sas + 4 * (4 * ib + k), packed);
        }
    }

    private static void unpackSas(byte[] y, int yo, byte[] x, int r, int k, int sas, int perBlock, int qs, int stride) {
        for (int ib = 0; ib < 8; ib++) {
            for (int i = 0; i < perBlock; i++) x[r + 2 + 8 * ib + i] = y[yo + qs + stride * ib + perBlock * k + i];
            int packed = getInt(y, yo + sas + 4 * (4 * ib + k)), aux = 0;
            for (int l = 0; l < 4; l++) {
                int b = packed >>> 8 * l & 0xFF;
                aux |= unscramble(b >> 1) << 7 * l | (b & 1) << (28 + l);
            }
            putInt(x, r + baseSas(perBlock, ib), aux);
        }
    }

    /** Offset of 32-block ib's u32 of signs and scale in the base block. */
    private static int baseSas(int perBlock, int ib) {
        return perBlock == 4 ? 2 + 8 * ib + 4 : 66 + 4 * ib;
    }

    private static int u16(byte[] b, int i) {
        return (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8;
    }

    private static void put16(byte[] b, int i, int v) {
        b[i] = (byte) v;
        b[i + 1] = (byte) (v >> 8);
    }
}
