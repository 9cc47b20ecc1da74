package kiln.convert.safetensors;

import kiln.tensor.KilnException;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The header parser works from the head bytes alone (as the .tar.gz reader hands them) and refuses bad headers in one line. */
class SafetensorsHeaderTest {
    private static byte[] head(String json) {
        byte[] j = json.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + j.length).order(ByteOrder.LITTLE_ENDIAN).putLong(j.length).put(j).array();
    }

    @Test
    void parsesFromTheHeadAloneWithOffsetsFromTheFileStart() {
        byte[] h = head("{\"__metadata__\":{},\"b\":{\"dtype\":\"F16\",\"shape\":[2,3],\"data_offsets\":[8,20]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}");
        List<SafetensorsHeader.Entry> es = SafetensorsHeader.parse("m.safetensors", MemorySegment.ofArray(h), h.length + 20L, Dtypes::size, Dtypes.SUPPORTED);
        assertEquals(2, es.size());
        assertEquals("b", es.get(0).name());
        assertArrayEquals(new long[] {2, 3}, es.get(0).shape());
        assertEquals(h.length + 8L, es.get(0).offset());
        assertEquals(12, es.get(0).length());
        assertEquals("a", es.get(1).name());
        assertEquals(h.length, es.get(1).offset());
    }

    @Test
    void refusesAnOverflowingShapeAsABadInput() {
        byte[] h = head("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,2],\"data_offsets\":[0,8]}}");
        KilnException e = assertThrows(KilnException.class,
                () -> SafetensorsHeader.parse("m.safetensors", MemorySegment.ofArray(h), h.length + 8L, Dtypes::size, Dtypes.SUPPORTED));
        assertTrue(e.getMessage().startsWith("m.safetensors: corrupt safetensors header: tensor 'a': shape "), e.getMessage());
        assertTrue(e.getMessage().endsWith("overflows"), e.getMessage());
    }

    @Test
    void refusesAHeaderLongerThanTheHeadBytes() {
        byte[] h = head("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}");
        byte[] cut = java.util.Arrays.copyOf(h, h.length - 1);
        KilnException e = assertThrows(KilnException.class,
                () -> SafetensorsHeader.parse("m.safetensors", MemorySegment.ofArray(cut), h.length + 8L, Dtypes::size, Dtypes.SUPPORTED));
        assertTrue(e.getMessage().contains("runs past the end"), e.getMessage());
    }

    @Test
    void refusesOverlappingTensors() {
        byte[] h = head("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}");
        KilnException e = assertThrows(KilnException.class,
                () -> SafetensorsHeader.parse("m.safetensors", MemorySegment.ofArray(h), h.length + 12L, Dtypes::size, Dtypes.SUPPORTED));
        assertEquals("m.safetensors: tensor 'b' overlaps tensor 'a'", e.getMessage());
    }
}
