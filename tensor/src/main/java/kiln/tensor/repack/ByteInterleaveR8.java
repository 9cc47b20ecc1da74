package kiln.tensor.repack;

import kiln.tensor.GgmlType;

/**
 * The 8-row raw byte interleave of {@code repack_q4_0}, {@code repack_q8_0} and {@code repack_mxfp4}: a base block
 * is a scale of {@code scaleBytes} then {@code quantBytes} quant bytes (a multiple of 16); the interleaved block
 * column holds the 8 rows' scales, then for each 16-byte chunk c of the quants
 * {@code qs[128c + 32l + 4k + i] = row_k.qs[16c + 4l + i]} ({@code repack_q8_KV} uses the same shuffle with no block
 * scales). Subclasses say how to dequantize.
 */
abstract class ByteInterleaveR8 extends BlockInterleaver {
    private final int scaleBytes;
    private final int quantBytes;

    ByteInterleaveR8(GgmlType packed, GgmlType base, int scaleBytes, int quantBytes) {
        this(packed, base, scaleBytes, quantBytes, 0, 0);
    }

    /** With per-row metadata of {@code meta} bytes in a base row and {@code packedMeta} in the group head. */
    ByteInterleaveR8(GgmlType packed, GgmlType base, int scaleBytes, int quantBytes, int meta, int packedMeta) {
        super(packed, base, 32, scaleBytes + quantBytes, 8 * (scaleBytes + quantBytes), meta, packedMeta);
        this.scaleBytes = scaleBytes;
        this.quantBytes = quantBytes;
    }

    @Override
    final void packBlock(byte[] x, int xo, int xs, byte[] y, int yo, int[] L) {
        for (int k = 0; k < 8; k++) {
            int r = xo + k * xs;
            System.arraycopy(x, r, y, yo + scaleBytes * k, scaleBytes);
            for (int c = 0; c < quantBytes; c += 16) {
                for (int l = 0; l < 4; l++) copy4(x, r + scaleBytes + c + 4 * l, y, yo + 8 * scaleBytes + 8 * c + 32 * l + 4 * k);
            }
        }
    }

    @Override
    final void unpackBlock(byte[] y, int yo, byte[] x, int xo, int xs, int[] L) {
        for (int k = 0; k < 8; k++) {
            int r = xo + k * xs;
            System.arraycopy(y, yo + scaleBytes * k, x, r, scaleBytes);
            for (int c = 0; c < quantBytes; c += 16) {
                for (int l = 0; l < 4; l++) copy4(y, yo + 8 * scaleBytes + 8 * c + 32 * l + 4 * k, x, r + scaleBytes + c + 4 * l);
            }
        }
    }
}
