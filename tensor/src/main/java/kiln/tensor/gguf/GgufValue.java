package kiln.tensor.gguf;

import java.util.Arrays;
import java.util.Objects;

/**
 * One metadata value with its exact GGUF type, so that a file read and written back is byte-identical.
 *
 * <p>Scalars are held as: UINT8/INT8 → Byte, UINT16/INT16 → Short, UINT32/INT32 → Integer,
 * UINT64/INT64 → Long, FLOAT32 → Float, FLOAT64 → Double, BOOL → Boolean, STRING → String.
 * Arrays ({@code type == ARRAY}) hold {@code elementType} and a Java array: byte[] (u8, i8), short[] (u16, i16),
 * int[] (u32, i32), long[] (u64, i64), float[], double[], boolean[], String[].
 */
public record GgufValue(GgufValueType type, GgufValueType elementType, Object value) {

    public GgufValue {
        Objects.requireNonNull(type);
        Objects.requireNonNull(value);
        if (type == GgufValueType.ARRAY && (elementType == null || elementType == GgufValueType.ARRAY)) {
            throw new IllegalArgumentException("array needs a non-array element type");
        }
    }

    public static GgufValue ofString(String s) { return new GgufValue(GgufValueType.STRING, null, s); }
    public static GgufValue ofU32(int v) { return new GgufValue(GgufValueType.UINT32, null, v); }
    public static GgufValue ofI32(int v) { return new GgufValue(GgufValueType.INT32, null, v); }
    public static GgufValue ofU16(short v) { return new GgufValue(GgufValueType.UINT16, null, v); }
    public static GgufValue ofU64(long v) { return new GgufValue(GgufValueType.UINT64, null, v); }
    public static GgufValue ofF32(float v) { return new GgufValue(GgufValueType.FLOAT32, null, v); }
    public static GgufValue ofBool(boolean v) { return new GgufValue(GgufValueType.BOOL, null, v); }
    public static GgufValue ofStrings(String[] v) { return new GgufValue(GgufValueType.ARRAY, GgufValueType.STRING, v); }
    public static GgufValue ofI32s(int[] v) { return new GgufValue(GgufValueType.ARRAY, GgufValueType.INT32, v); }
    public static GgufValue ofF32s(float[] v) { return new GgufValue(GgufValueType.ARRAY, GgufValueType.FLOAT32, v); }

    public boolean isArray() { return type == GgufValueType.ARRAY; }

    /** Whether {@link #asLong} reads this value: an integer scalar (or a bool). */
    public boolean isInteger() {
        return switch (type) {
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64, BOOL -> true;
            default -> false;
        };
    }

    /** Number of elements of an array value (1 for a scalar). */
    public int length() {
        if (!isArray()) return 1;
        return java.lang.reflect.Array.getLength(value);
    }

    /** Integer value of any integer scalar, unsigned types zero-extended (u64 as raw bits). */
    public long asLong() {
        return switch (type) {
            case UINT8 -> ((Byte) value) & 0xFFL;
            case INT8 -> (Byte) value;
            case UINT16 -> ((Short) value) & 0xFFFFL;
            case INT16 -> (Short) value;
            case UINT32 -> ((Integer) value) & 0xFFFFFFFFL;
            case INT32 -> (Integer) value;
            case UINT64, INT64 -> (Long) value;
            case BOOL -> ((Boolean) value) ? 1 : 0;
            default -> throw new IllegalStateException("value of type " + type.shortName() + " is not an integer");
        };
    }

    public double asDouble() {
        return switch (type) {
            case FLOAT32 -> (Float) value;
            case FLOAT64 -> (Double) value;
            default -> asLong();
        };
    }

    public String asString() {
        if (type != GgufValueType.STRING) throw new IllegalStateException("value of type " + type.shortName() + " is not a string");
        return (String) value;
    }

    public boolean asBool() {
        if (type != GgufValueType.BOOL) throw new IllegalStateException("value of type " + type.shortName() + " is not a bool");
        return (Boolean) value;
    }

    public String[] asStrings() { return (String[]) value; }

    /** Array element i as a long (integer arrays) — unsigned types zero-extended. */
    public long longAt(int i) {
        return switch (elementType) {
            case UINT8 -> ((byte[]) value)[i] & 0xFFL;
            case INT8 -> ((byte[]) value)[i];
            case UINT16 -> ((short[]) value)[i] & 0xFFFFL;
            case INT16 -> ((short[]) value)[i];
            case UINT32 -> ((int[]) value)[i] & 0xFFFFFFFFL;
            case INT32 -> ((int[]) value)[i];
            case UINT64, INT64 -> ((long[]) value)[i];
            case BOOL -> ((boolean[]) value)[i] ? 1 : 0;
            default -> throw new IllegalStateException("array of " + elementType.shortName() + " is not an integer array");
        };
    }

    /** Short human-readable rendering; long arrays abbreviated to their first {@code maxElements} elements. */
    public String render(int maxElements) {
        if (!isArray()) {
            return type == GgufValueType.STRING ? quote((String) value) : String.valueOf(type == GgufValueType.UINT64 ? Long.toUnsignedString((Long) value) : (Object) asDisplayScalar());
        }
        int n = length();
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < Math.min(n, maxElements); i++) {
            if (i > 0) sb.append(", ");
            Object e = java.lang.reflect.Array.get(value, i);
            if (elementType == GgufValueType.STRING) sb.append(quote((String) e));
            else if (elementType == GgufValueType.UINT8 || elementType == GgufValueType.UINT16 || elementType == GgufValueType.UINT32) sb.append(longAt(i));
            else sb.append(e);
        }
        if (n > maxElements) sb.append(", ... (").append(n).append(" ").append(elementType.shortName()).append(")");
        return sb.append("]").toString();
    }

    private Object asDisplayScalar() {
        return switch (type) {
            case UINT8, UINT16, UINT32 -> asLong();
            default -> value;
        };
    }

    private static String quote(String s) {
        String t = s.length() > 120 ? s.substring(0, 120) + "…" : s;
        return "\"" + t.replace("\\", "\\\\").replace("\n", "\\n").replace("\"", "\\\"") + "\"";
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof GgufValue(GgufValueType t, GgufValueType et, Object v))) return false;
        return t == type && et == elementType && Objects.deepEquals(v, value);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, elementType, value.getClass().isArray() ? Arrays.deepHashCode(new Object[]{value}) : value.hashCode());
    }

    @Override
    public String toString() {
        return type.shortName() + (isArray() ? "[" + elementType.shortName() + "]" : "") + " " + render(8);
    }
}
