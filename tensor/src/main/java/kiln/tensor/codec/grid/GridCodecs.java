package kiln.tensor.codec.grid;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Flavor;
import kiln.tensor.codec.RowCodec;

import java.lang.foreign.MemorySegment;
import java.util.List;

/**
 * The i-quant grid types' codecs for one flavour: the decoders are shared; the quantizers are each tool's own. IQ2_XXS, IQ2_XS and IQ1_S need importance
 * weights ({@code ggml_quantize_requires_imatrix}).
 */
public final class GridCodecs {
    private GridCodecs() {}

    /**
     * Decodes one block of a grid type ({@code in[off..off+typeSize)}) into {@code y[yOff..yOff+256)}: the one decoder
     * per type, shared by the codecs and the interleaved forms ({@code IQ2_XXS_R4} …).
     */
    public static void decodeBlock(GgmlType type, byte[] in, int off, float[] y, int yOff) {
        switch (type) {
            case IQ2_XXS -> Iq2Decoders.iq2xxs(in, off, y, yOff);
            case IQ2_XS -> Iq2Decoders.iq2xs(in, off, y, yOff);
            case IQ2_S -> Iq2Decoders.iq2s(in, off, y, yOff);
            case IQ3_XXS -> Iq3Decoders.iq3xxs(in, off, y, yOff);
            case IQ3_S -> Iq3Decoders.iq3s(in, off, y, yOff);
            case IQ1_S -> Iq1Decoders.iq1s(in, off, y, yOff);
            case IQ1_M -> Iq1Decoders.iq1m(in, off, y, yOff);
            default -> throw new IllegalArgumentException(type.ggmlName() + " is not an i-quant grid type");
        }
    }

    public static List<RowCodec> of(Flavor flavor) {
        return List.of(
                new GridCodec(GgmlType.IQ2_XXS, Iq2Decoders::iq2xxs, new Iq2XxsQuantizer(flavor), true),
                new GridCodec(GgmlType.IQ2_XS, Iq2Decoders::iq2xs, new Iq2XsQuantizer(flavor), true),
                new GridCodec(GgmlType.IQ2_S, Iq2Decoders::iq2s, new Iq2SQuantizer(flavor), false),
                new GridCodec(GgmlType.IQ3_XXS, Iq3Decoders::iq3xxs, new Iq3XxsQuantizer(flavor), false),
                new GridCodec(GgmlType.IQ3_S, Iq3Decoders::iq3s, new Iq3SQuantizer(flavor), false),
                new GridCodec(GgmlType.IQ1_S, Iq1Decoders::iq1s, new Iq1SQuantizer(flavor), true),
                new GridCodec(GgmlType.IQ1_M, Iq1Decoders::iq1m, new Iq1MQuantizer(flavor), false));
    }

    /**
     * One IQ1_S_R4 group of 4 rows of {@code cols} values (a multiple of 256) at {@code src[off]} rewritten losslessly as 4
     * IQ1_S rows at {@code dst[dstOff]} (not overlapping the source): the runtime runs IQ1_S_R4 through IQ1_S's kernels this way.
     */
    public static void iq1sR4AsIq1S(MemorySegment src, long off, MemorySegment dst, long dstOff, long cols) {
        Iq1R4Codec.toIq1S(src, off, dst, dstOff, cols);
    }

    /** ik's own four-row IQ1_S_R4 and IQ1_M_R4 (not repacks of IQ1_S/IQ1_M; ik-only). */
    public static List<RowCodec> ikFourRow() {
        return List.of(Iq1R4Codec.IQ1_S_R4, Iq1R4Codec.IQ1_M_R4);
    }
}
