package kiln.tensor.gguf;

import kiln.tensor.GgmlType;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The complete plan of one GGUF file before any tensor data is written: the serialized header
 * (magic, version 3, counts, KVs in order, tensor infos, padding) and every tensor's offset, laid out
 * exactly as the reference writers do (spec gguf-and-quants.md §1.5, §1.7).
 */
public final class GgufLayout {
    /** A tensor to be written: its name, type and dimensions exactly as they will be stored (n_dims = ne.length). */
    public record Entry(String name, GgmlType type, long[] ne) {
        public Entry {
            ne = ne.clone();
        }

        public long byteSize() {
            long rows = 1;
            for (int i = 1; i < ne.length; i++) rows *= ne[i];
            return type.rowSize(ne.length == 0 ? 1 : ne[0]) * rows;
        }
    }

    private final GgufMetadata metadata;
    private final List<TensorInfo> tensors;
    private final byte[] header;
    private final long alignment;
    private final long dataSize;

    public GgufLayout(GgufMetadata metadata, List<Entry> entries) {
        this(metadata, entries, 32);
    }

    public GgufLayout(GgufMetadata metadata, List<Entry> entries, long alignment) {
        this.metadata = metadata.copy();
        this.alignment = alignment;
        List<TensorInfo> infos = new ArrayList<>(entries.size());
        Set<String> names = new HashSet<>();
        long offset = 0;
        for (Entry e : entries) {
            if (!names.add(e.name())) throw new IllegalArgumentException("duplicate tensor name '" + e.name() + "'");
            infos.add(new TensorInfo(e.name(), e.type(), e.ne(), offset, 0));
            offset += GgufHeaderParser.pad(e.byteSize(), alignment);
        }
        this.tensors = Collections.unmodifiableList(infos);
        this.dataSize = offset;
        this.header = serializeHeader();
    }

    /** Layout of the tensors of an existing file, for copying it (same order, same stored n_dims). */
    public static List<Entry> entriesOf(List<TensorInfo> tensors) {
        List<Entry> out = new ArrayList<>(tensors.size());
        for (TensorInfo t : tensors) out.add(new Entry(t.name(), t.type(), t.ne()));
        return out;
    }

    public GgufMetadata metadata() { return metadata.copy(); }

    public List<TensorInfo> tensors() { return tensors; }

    public long alignment() { return alignment; }

    /** Byte offset of the data section in the file (header size, padded). */
    public long dataOffset() { return header.length; }

    /** Total file size. */
    public long fileSize() { return header.length + dataSize; }

    /** The header bytes, including the padding before the data section. */
    public byte[] headerBytes() { return header.clone(); }

    /** File position of tensor i's first byte. */
    public long position(int i) { return header.length + tensors.get(i).offset(); }

    private byte[] serializeHeader() {
        Out o = new Out();
        o.i32(GgufHeaderParser.MAGIC);
        o.i32(3);
        o.i64(tensors.size());
        o.i64(metadata.size());
        for (var e : metadata.asMap().entrySet()) {
            o.str(e.getKey());
            GgufValue v = e.getValue();
            o.i32(v.type().id());
            if (v.isArray()) {
                o.i32(v.elementType().id());
                o.i64(v.length());
                writeArray(o, v);
            } else {
                writeScalar(o, v.type(), v.value());
            }
        }
        for (TensorInfo t : tensors) {
            o.str(t.name());
            o.i32(t.nDims());
            for (long d : t.ne()) o.i64(d);
            o.i32(t.type().id());
            o.i64(t.offset());
        }
        long padded = GgufHeaderParser.pad(o.size(), alignment);
        while (o.size() < padded) o.u8(0);
        return o.toByteArray();
    }

    private static void writeScalar(Out o, GgufValueType type, Object v) {
        switch (type) {
            case UINT8, INT8 -> o.u8((Byte) v);
            case UINT16, INT16 -> o.i16((Short) v);
            case UINT32, INT32 -> o.i32((Integer) v);
            case UINT64, INT64 -> o.i64((Long) v);
            case FLOAT32 -> o.i32(Float.floatToRawIntBits((Float) v));
            case FLOAT64 -> o.i64(Double.doubleToRawLongBits((Double) v));
            case BOOL -> o.u8(((Boolean) v) ? 1 : 0);
            case STRING -> o.str((String) v);
            default -> throw new IllegalStateException(type.toString());
        }
    }

    private static void writeArray(Out o, GgufValue v) {
        Object a = v.value();
        switch (v.elementType()) {
            case UINT8, INT8 -> o.bytes((byte[]) a);
            case UINT16, INT16 -> { for (short s : (short[]) a) o.i16(s); }
            case UINT32, INT32 -> { for (int s : (int[]) a) o.i32(s); }
            case UINT64, INT64 -> { for (long s : (long[]) a) o.i64(s); }
            case FLOAT32 -> { for (float s : (float[]) a) o.i32(Float.floatToRawIntBits(s)); }
            case FLOAT64 -> { for (double s : (double[]) a) o.i64(Double.doubleToRawLongBits(s)); }
            case BOOL -> { for (boolean s : (boolean[]) a) o.u8(s ? 1 : 0); }
            case STRING -> { for (String s : (String[]) a) o.str(s); }
            default -> throw new IllegalStateException();
        }
    }

    /** Little-endian byte sink. */
    private static final class Out extends ByteArrayOutputStream {
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);

        void u8(int v) { write(v); }
        void i16(short v) { scratch.clear(); scratch.putShort(v); write(scratch.array(), 0, 2); }
        void i32(int v) { scratch.clear(); scratch.putInt(v); write(scratch.array(), 0, 4); }
        void i64(long v) { scratch.clear(); scratch.putLong(v); write(scratch.array(), 0, 8); }
        void bytes(byte[] b) { write(b, 0, b.length); }
        void str(String s) { byte[] b = s.getBytes(StandardCharsets.UTF_8); i64(b.length); bytes(b); }
    }
}
