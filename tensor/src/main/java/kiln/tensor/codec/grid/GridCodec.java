package kiln.tensor.codec.grid;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.BlockCodec;

/**
 * A codec of one i-quant grid type (IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS, IQ3_S): the type's block decoder
 * (the same in llama.cpp and ik_llama.cpp) and, where Kiln has it, one tool's quantizer. Registered per flavour by
 * {@link GridCodecs}.
 */
final class GridCodec extends BlockCodec {

    /** One block at {@code in[off..off+typeSize)} into {@code y[yOff..yOff+256)}. */
    interface BlockDecoder {
        void decode(byte[] in, int off, float[] y, int yOff);
    }

    /** Whole blocks of one row ({@code n} values of {@code x} from {@code xOff}, weights or null) into {@code out}. */
    interface RowQuantizer {
        void quantize(float[] x, int xOff, int n, float[] weights, byte[] out);
    }

    private final BlockDecoder decoder;
    private final RowQuantizer quantizer;
    private final boolean requiresImatrix;

    GridCodec(GgmlType type, BlockDecoder decoder, RowQuantizer quantizer, boolean requiresImatrix) {
        super(type);
        this.decoder = decoder;
        this.quantizer = quantizer;
        this.requiresImatrix = requiresImatrix;
    }

    @Override
    public boolean canQuantize() {
        return quantizer != null;
    }

    @Override
    public boolean requiresImatrix() {
        return requiresImatrix;
    }

    @Override
    protected void quantizeBlocks(float[] x, int xOff, int n, float[] weights, byte[] out) {
        if (quantizer == null) throw new UnsupportedOperationException("Kiln cannot quantize to " + type().ggmlName() + " yet");
        quantizer.quantize(x, xOff, n, weights, out);
    }

    @Override
    protected void dequantizeBlocks(byte[] in, float[] y, int yOff, int n) {
        int size = type().typeSize();
        for (int i = 0; i < n / 256; i++) decoder.decode(in, i * size, y, yOff + i * 256);
    }
}
