package kiln.tensor.codec.grid;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Flavor;
import kiln.tensor.codec.RowCodec;

import java.util.List;

/**
 * The i-quant grid types' codecs for one flavour: the decoders are shared; the quantizers are each tool's own
 * where Kiln has them (null: Kiln reads the type but cannot write it yet). IQ2_XXS, IQ2_XS and IQ1_S need importance
 * weights ({@code ggml_quantize_requires_imatrix}).
 */
public final class GridCodecs {
    private GridCodecs() {}

    public static List<RowCodec> of(Flavor flavor) {
        return List.of(
                new GridCodec(GgmlType.IQ2_XXS, Iq2Decoders::iq2xxs, new Iq2XxsQuantizer(flavor), true),
                new GridCodec(GgmlType.IQ2_XS, Iq2Decoders::iq2xs, new Iq2XsQuantizer(flavor), true),
                new GridCodec(GgmlType.IQ2_S, Iq2Decoders::iq2s, new Iq2SQuantizer(flavor), false),
                new GridCodec(GgmlType.IQ3_XXS, Iq3Decoders::iq3xxs, null, false),
                new GridCodec(GgmlType.IQ3_S, Iq3Decoders::iq3s, null, false),
                new GridCodec(GgmlType.IQ1_S, Iq1Decoders::iq1s, null, true),
                new GridCodec(GgmlType.IQ1_M, Iq1Decoders::iq1m, null, false));
    }
}
