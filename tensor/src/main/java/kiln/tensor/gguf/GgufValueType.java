package kiln.tensor.gguf;

/** GGUF metadata value types (spec gguf-and-quants.md §1.2). */
public enum GgufValueType {
    UINT8(0, 1, "u8"), INT8(1, 1, "i8"), UINT16(2, 2, "u16"), INT16(3, 2, "i16"),
    UINT32(4, 4, "u32"), INT32(5, 4, "i32"), FLOAT32(6, 4, "f32"), BOOL(7, 1, "bool"),
    STRING(8, -1, "str"), ARRAY(9, -1, "arr"), UINT64(10, 8, "u64"), INT64(11, 8, "i64"),
    FLOAT64(12, 8, "f64");

    private final int id;
    private final int size;
    private final String shortName;

    GgufValueType(int id, int size, String shortName) {
        this.id = id;
        this.size = size;
        this.shortName = shortName;
    }

    public int id() { return id; }

    /** Payload bytes of a scalar; -1 for STRING and ARRAY. */
    public int size() { return size; }

    /** The name ggml prints (u8, i32, str, arr, …). */
    public String shortName() { return shortName; }

    public static GgufValueType byId(long id) {
        for (GgufValueType t : values()) if (t.id == id) return t;
        return null;
    }
}
