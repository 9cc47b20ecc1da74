package kiln.cuda.oracle;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;

import java.lang.foreign.MemorySegment;

/**
 * The scalar oracle of the matvec kernels: each row dequantized by Kiln's codec (bit-exact with ggml's reference
 * dequantization) and multiplied with each token's activations in double precision.
 */
public final class QuantMatvecOracle {
    private QuantMatvecOracle() {}

    /** out[t·rows + r] = W[r] · x[t·cols ..] for rows packed back to back in {@code w}. */
    public static float[] matvec(GgmlType type, MemorySegment w, int rows, int cols, float[] x, int ntok) {
        RowCodec codec = Codecs.find(type);
        if (codec == null) throw new IllegalArgumentException("no codec for " + type);
        long rowBytes = type.rowSize(cols);
        float[] row = new float[cols];
        float[] out = new float[ntok * rows];
        for (int r = 0; r < rows; r++) {
            codec.dequantize(w, r * rowBytes, row, 0, cols);
            for (int t = 0; t < ntok; t++) {
                double s = 0;
                for (int c = 0; c < cols; c++) s += (double) row[c] * x[t * cols + c];
                out[t * rows + r] = (float) s;
            }
        }
        return out;
    }
}
