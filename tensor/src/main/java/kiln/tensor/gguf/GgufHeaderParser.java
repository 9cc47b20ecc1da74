package kiln.tensor.gguf;

import kiln.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Parses a GGUF header (everything before the data section) from a memory segment with the validation of
 * the reference reader {@code gguf_init_from_reader} (spec gguf-and-quants.md §1.6). Every read is bounded by
 * the segment size, so damaged counts and lengths fail with a message instead of allocating or hanging.
 */
final class GgufHeaderParser {
    static final int MAGIC = 0x46554747;
    static final long MAX_STRING_LENGTH = 1L << 30;
    static final long MAX_ARRAY_ELEMENTS = 1L << 30;
    static final int MAX_NAME = 64;
    static final int MAX_DIMS = 4;

    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    record Header(int version, GgufMetadata metadata, List<TensorInfo> tensors, long alignment, long dataOffset) {}

    private final MemorySegment seg;
    private final long size;
    private final String file;
    private long pos;

    private GgufHeaderParser(MemorySegment seg, String file) {
        this.seg = seg;
        this.size = seg.byteSize();
        this.file = file;
    }

    static Header parse(MemorySegment seg, String file, int shard) {
        return new GgufHeaderParser(seg, file).parse(shard);
    }

    private GgufFormatException error(long at, String problem) {
        return new GgufFormatException(file, at, problem);
    }

    private void need(long n, String what) {
        if (n < 0 || size - pos < n) {
            throw error(pos, "file truncated: " + what + " needs " + n + " bytes, " + (size - pos) + " left");
        }
    }

    private int u8() { need(1, "value"); return seg.get(ValueLayout.JAVA_BYTE, pos++) & 0xFF; }
    private short i16() { need(2, "value"); short v = seg.get(SHORT, pos); pos += 2; return v; }
    private int i32(String what) { need(4, what); int v = seg.get(INT, pos); pos += 4; return v; }
    private long i64(String what) { need(8, what); long v = seg.get(LONG, pos); pos += 8; return v; }

    private String string(String what) {
        long at = pos;
        long len = i64(what + " length");
        if (len < 0 || len > MAX_STRING_LENGTH) throw error(at, what + " has invalid length " + Long.toUnsignedString(len));
        need(len, what);
        byte[] b = seg.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
        pos += len;
        return new String(b, StandardCharsets.UTF_8);
    }

    private Header parse(int shard) {
        need(4, "magic");
        int magic = seg.get(INT, 0);
        pos = 4;
        if (magic != MAGIC) {
            throw error(0, "not a GGUF file: bad magic 0x" + String.format("%08x", Integer.reverseBytes(magic)) + ", expected \"GGUF\"");
        }
        long versionAt = pos;
        int version = i32("version");
        if (version == 0 || (version & 0xFFFF) == 0) {
            throw error(versionAt, "unsupported GGUF version " + Integer.toUnsignedString(version)
                    + ((version & 0xFFFF) == 0 && version != 0 ? " (file has the other endianness)" : ""));
        }
        if (version == 1) throw error(versionAt, "GGUFv1 is no longer supported");
        if (version < 0 || version > 3) throw error(versionAt, "unsupported GGUF version " + Integer.toUnsignedString(version) + ", expected 2 or 3");

        long nTensorsAt = pos;
        long nTensors = i64("tensor count");
        long nKvAt = pos;
        long nKv = i64("metadata count");
        // Each tensor info needs >= 24 bytes and each KV >= 13: bound the counts by the file size.
        if (nTensors < 0 || nTensors > (size - pos) / 24) {
            throw error(nTensorsAt, "tensor count " + Long.toUnsignedString(nTensors) + " is impossible for a file of " + size + " bytes");
        }
        if (nKv < 0 || nKv > (size - pos) / 13) {
            throw error(nKvAt, "metadata count " + Long.toUnsignedString(nKv) + " is impossible for a file of " + size + " bytes");
        }

        GgufMetadata md = new GgufMetadata(file);
        for (long i = 0; i < nKv; i++) {
            long at = pos;
            String key = string("metadata key #" + i);
            if (key.isEmpty()) throw error(at, "metadata key #" + i + " is empty");
            if (md.contains(key)) throw error(at, "duplicate metadata key '" + key + "'");
            long typeAt = pos;
            int typeId = i32("type of key '" + key + "'");
            GgufValueType type = GgufValueType.byId(typeId);
            if (type == null) throw error(typeAt, "key '" + key + "' has invalid GGUF type " + typeId);
            md.put(key, readValue(key, type));
        }

        long alignment = 32;
        GgufValue al = md.get("general.alignment");
        if (al != null) {
            if (al.type() != GgufValueType.UINT32) {
                throw error(-1, "key 'general.alignment' has type " + al.type().shortName() + ", expected u32");
            }
            alignment = al.asLong();
            if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
                throw error(-1, "alignment " + alignment + " is not a power of two");
            }
        }

        List<TensorInfo> tensors = new ArrayList<>((int) nTensors);
        Set<String> names = new HashSet<>();
        for (long i = 0; i < nTensors; i++) {
            long at = pos;
            String name = string("name of tensor #" + i);
            int nameBytes = name.getBytes(StandardCharsets.UTF_8).length;
            if (nameBytes >= MAX_NAME) {
                throw error(at, "name of tensor #" + i + " is longer than " + (MAX_NAME - 1) + " bytes (" + nameBytes + "): '"
                        + kiln.tensor.KilnException.printable(name, MAX_NAME) + "'");
            }
            if (!names.add(name)) throw error(at, "duplicate tensor name '" + name + "'");
            long dimsAt = pos;
            int nDims = i32("dimension count of tensor '" + name + "'");
            if (nDims < 0 || nDims > MAX_DIMS) {
                throw error(dimsAt, "tensor '" + name + "' has " + Integer.toUnsignedString(nDims) + " dimensions, at most 4 allowed");
            }
            long[] ne = new long[nDims];
            for (int d = 0; d < nDims; d++) {
                long dAt = pos;
                ne[d] = i64("dimension " + d + " of tensor '" + name + "'");
                if (ne[d] < 0) throw error(dAt, "tensor '" + name + "' has negative dimension ne[" + d + "] = " + ne[d]);
            }
            checkElementCount(name, ne, at);
            long typeAt = pos;
            int typeId = i32("type of tensor '" + name + "'");
            GgmlType type = GgmlType.byId(typeId & 0xFFFFFFFFL);
            if (type == null) throw error(typeAt, "tensor '" + name + "' has unknown ggml type id " + Integer.toUnsignedString(typeId));
            long ne0 = nDims > 0 ? ne[0] : 1;
            if (ne0 % type.blockSize() != 0) {
                throw error(at, "tensor '" + name + "' of type " + type.ggmlName() + " has row length " + ne0
                        + ", not a multiple of the block size " + type.blockSize());
            }
            long offAt = pos;
            long offset = i64("offset of tensor '" + name + "'");
            TensorInfo t = new TensorInfo(name, type, ne, offset, shard);
            checkByteSize(t, at);
            if (nDims > 1 && type.isInterleaved() && t.rowCount() % type.interleave() != 0) {
                throw error(at, "tensor '" + name + "' of interleaved type " + type.ggmlName() + " has " + t.rowCount()
                        + " rows, not a multiple of " + type.interleave());
            }
            tensors.add(t);
            if (offset < 0) throw error(offAt, "tensor '" + name + "' has offset " + Long.toUnsignedString(offset));
        }

        long dataOffset = pad(pos, alignment);
        long expected = 0;
        TensorInfo previous = null;
        for (TensorInfo t : tensors) {
            if (t.offset() != expected) {
                throw error(-1, "tensor '" + t.name() + "' has offset " + t.offset() + ", expected " + expected
                        + IkRepackedQ8Kv.explain(previous, t.offset(), alignment));
            }
            previous = t;
            long bytes = t.byteSize();
            if (dataOffset + t.offset() + bytes > size || dataOffset + t.offset() + bytes < 0) {
                throw error(dataOffset + t.offset(), "tensor '" + t.name() + "' data (" + bytes + " bytes at data offset " + t.offset()
                        + ") is not within the file bounds (file has " + size + " bytes)");
            }
            expected += pad(bytes, alignment);
        }
        return new Header(version, md, tensors, alignment, dataOffset);
    }

    private void checkElementCount(String name, long[] ne, long at) {
        long n = 1;
        for (long d : ne) {
            if (d != 0 && n > Long.MAX_VALUE / d) throw error(at, "tensor '" + name + "' has too many elements");
            n *= d;
        }
    }

    /** The reference reader requires the byte size to be representable (<= SIZE_MAX); here: no long overflow. */
    private void checkByteSize(TensorInfo t, long at) {
        try {
            long row = Math.addExact(t.type().rowMetaBytes(), Math.multiplyExact(t.dim(0) / t.type().blockSize(), (long) t.type().typeSize()));
            Math.multiplyExact(row, t.rowCount());
        } catch (ArithmeticException e) {
            throw error(at, "tensor '" + t.name() + "' of type " + t.type().ggmlName() + " and shape " + t.shapeString()
                    + " is too large: its byte size overflows");
        }
    }

    static long pad(long x, long n) {
        return (x + n - 1) & ~(n - 1);
    }

    private GgufValue readValue(String key, GgufValueType type) {
        if (type != GgufValueType.ARRAY) return new GgufValue(type, null, readScalar(key, type));
        long at = pos;
        int elemId = i32("element type of array '" + key + "'");
        GgufValueType et = GgufValueType.byId(elemId);
        if (et == null || et == GgufValueType.ARRAY) throw error(at, "array '" + key + "' has invalid element type " + elemId);
        long countAt = pos;
        long n = i64("length of array '" + key + "'");
        if (n < 0 || n > MAX_ARRAY_ELEMENTS) throw error(countAt, "array '" + key + "' has invalid length " + Long.toUnsignedString(n));
        long minBytes = et == GgufValueType.STRING ? 8 : et.size();
        if (n * minBytes > size - pos) {
            throw error(countAt, "array '" + key + "' of " + n + " " + et.shortName() + " runs past the end of the file");
        }
        int count = (int) n;
        Object arr = switch (et) {
            case UINT8, INT8 -> { byte[] a = seg.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE); pos += n; yield a; }
            case UINT16, INT16 -> { short[] a = new short[count]; for (int i = 0; i < count; i++) a[i] = i16(); yield a; }
            case UINT32, INT32 -> { int[] a = new int[count]; for (int i = 0; i < count; i++) a[i] = i32("element"); yield a; }
            case UINT64, INT64 -> { long[] a = new long[count]; for (int i = 0; i < count; i++) a[i] = i64("element"); yield a; }
            case FLOAT32 -> { float[] a = new float[count]; for (int i = 0; i < count; i++) { need(4, "element"); a[i] = seg.get(FLOAT, pos); pos += 4; } yield a; }
            case FLOAT64 -> { double[] a = new double[count]; for (int i = 0; i < count; i++) { need(8, "element"); a[i] = seg.get(DOUBLE, pos); pos += 8; } yield a; }
            case BOOL -> { boolean[] a = new boolean[count]; for (int i = 0; i < count; i++) a[i] = u8() != 0; yield a; }
            case STRING -> { String[] a = new String[count]; for (int i = 0; i < count; i++) a[i] = string("element " + i + " of array '" + key + "'"); yield a; }
            default -> throw new IllegalStateException();
        };
        return new GgufValue(GgufValueType.ARRAY, et, arr);
    }

    private Object readScalar(String key, GgufValueType type) {
        String what = "value of '" + key + "'";
        return switch (type) {
            case UINT8, INT8 -> (byte) u8();
            case UINT16, INT16 -> i16();
            case UINT32, INT32 -> i32(what);
            case UINT64, INT64 -> i64(what);
            case FLOAT32 -> Float.intBitsToFloat(i32(what));
            case FLOAT64 -> Double.longBitsToDouble(i64(what));
            case BOOL -> u8() != 0;
            case STRING -> string(what);
            default -> throw new IllegalStateException();
        };
    }
}
