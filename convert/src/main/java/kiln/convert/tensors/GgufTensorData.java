package kiln.convert.tensors;

import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.codec.Codecs;
import kiln.tensor.codec.RowCodec;
import kiln.tensor.gguf.TensorInfo;

import java.lang.foreign.MemorySegment;

/** The values of an F32/F16/BF16 GGUF tensor (element-wise types, so any range can be read exactly). */
public final class GgufTensorData implements TensorData {
    private final MemorySegment bytes;
    private final RowCodec codec;
    private final long elements;
    private final int size;

    public GgufTensorData(String file, TensorInfo t, MemorySegment bytes) {
        if (t.type() != GgmlType.F32 && t.type() != GgmlType.F16 && t.type() != GgmlType.BF16) {
            throw new KilnException(file + ": tensor '" + t.name() + "' is " + t.type().ggmlName()
                    + "; rebuilding MLA tensors losslessly needs F32, F16 or BF16 (convert from the HF checkpoint instead)");
        }
        this.bytes = bytes;
        this.codec = Codecs.find(t.type());
        this.elements = t.elementCount();
        this.size = t.type().typeSize();
    }

    @Override
    public long elements() {
        return elements;
    }

    @Override
    public void read(long start, int n, float[] dst, int off) {
        codec.dequantize(bytes, start * size, dst, off, n);
    }
}
