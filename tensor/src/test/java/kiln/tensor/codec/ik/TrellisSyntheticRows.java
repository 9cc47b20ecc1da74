package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;
import kiln.tensor.gguf.GgufLayout;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufOutput;
import kiln.tensor.gguf.GgufValue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic rows of the trellis types for checking Kiln's dequantization against ik's before Kiln can quantize
 * to them: per type, {@link #ROWS} rows of {@link #COLUMNS} values drawn from {@code new SplittableRandom(SEED + type
 * id)}; each row is a finite f32 scale (row 0: zero; then ±(1+u)·2^e with e in [−16, 2]) followed by random block
 * bytes (every bit pattern of a trellis block is valid). {@link #main} writes them as one GGUF (one tensor per type,
 * named after the type) for ik's {@code llama-quantize --allow-requantize --pure IN OUT F32 1}.
 */
final class TrellisSyntheticRows {
    private TrellisSyntheticRows() {}

    static final long SEED = 20261207L;
    static final int ROWS = 32, COLUMNS = 1024;
    static final List<GgmlType> TYPES = List.of(GgmlType.IQ1_KT, GgmlType.IQ2_KT, GgmlType.IQ3_KT, GgmlType.IQ4_KT);

    /** The bytes of the tensor of {@code type}: {@link #ROWS} rows of {@code type.rowSize(COLUMNS)} bytes. */
    static byte[] rows(GgmlType type) {
        SplittableRandom random = new SplittableRandom(SEED + type.id());
        int rowSize = Math.toIntExact(type.rowSize(COLUMNS));
        byte[] out = new byte[ROWS * rowSize];
        byte[] blocks = new byte[rowSize - type.rowMetaBytes()];
        for (int r = 0; r < ROWS; r++) {
            float d = r == 0 ? 0f : (random.nextBoolean() ? -1 : 1) * (float) Math.scalb(1 + random.nextDouble(), random.nextInt(-16, 3));
            int bits = Float.floatToRawIntBits(d);
            for (int i = 0; i < 4; i++) out[r * rowSize + i] = (byte) (bits >>> 8 * i);
            random.nextBytes(blocks);
            System.arraycopy(blocks, 0, out, r * rowSize + type.rowMetaBytes(), blocks.length);
        }
        return out;
    }

    static String tensorName(GgmlType type) {
        return type.ggmlName() + ".weight"; // llama-quantize converts only tensors named *weight
    }

    /** Writes the synthetic GGUF to {@code args[0]}. */
    public static void main(String[] args) {
        GgufMetadata md = new GgufMetadata();
        md.put("general.architecture", GgufValue.ofString("kiln-synthetic"));
        md.put("general.name", GgufValue.ofString("trellis synthetic rows, seed " + SEED));
        List<GgufLayout.Entry> entries = new ArrayList<>();
        for (GgmlType t : TYPES) entries.add(new GgufLayout.Entry(tensorName(t), t, new long[]{COLUMNS, ROWS}));
        try (GgufOutput o = GgufOutput.create(Path.of(args[0]), new GgufLayout(md, entries))) {
            for (int i = 0; i < TYPES.size(); i++) o.write(i, 0, rows(TYPES.get(i)));
            o.commit();
        }
    }
}
