package kiln.tensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/** Little-endian unaligned value layouts and accessors for reading and writing GGUF/ggml bytes. */
public final class LittleEndian {
    private LittleEndian() {}

    public static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    public static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    public static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    public static int u8(MemorySegment s, long off) { return s.get(BYTE, off) & 0xFF; }
    public static byte i8(MemorySegment s, long off) { return s.get(BYTE, off); }
    public static short i16(MemorySegment s, long off) { return s.get(SHORT, off); }
    public static int u16(MemorySegment s, long off) { return s.get(SHORT, off) & 0xFFFF; }
    public static int i32(MemorySegment s, long off) { return s.get(INT, off); }
    public static float f32(MemorySegment s, long off) { return s.get(FLOAT, off); }
    /** An IEEE half at {@code off}, as float. */
    public static float f16(MemorySegment s, long off) { return Float.float16ToFloat(s.get(SHORT, off)); }

    public static void put8(MemorySegment s, long off, int v) { s.set(BYTE, off, (byte) v); }
    public static void put16(MemorySegment s, long off, short v) { s.set(SHORT, off, v); }
    public static void put32(MemorySegment s, long off, int v) { s.set(INT, off, v); }
    public static void putF32(MemorySegment s, long off, float v) { s.set(FLOAT, off, v); }
}
