package kiln.cuda.place;

import kiln.tensor.KilnException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class MemorySizeTest {
    @Test
    void binaryAndDecimalUnits() {
        assertEquals(24L << 30, MemorySize.parse("24GiB", "--gpu-memory"));
        assertEquals(24L << 30, MemorySize.parse("24g", "--gpu-memory"));
        assertEquals(24_000_000_000L, MemorySize.parse("24GB", "--gpu-memory"));
        assertEquals(512L << 20, MemorySize.parse("512MiB", "--gpu-memory"));
        assertEquals(1536L << 20, MemorySize.parse("1.5GiB", "--gpu-memory"));
        assertEquals(8192, MemorySize.parse("8192", "--gpu-memory"));
        assertEquals("1536.00 MiB", MemorySize.mib(1536L << 20));
    }

    @Test
    void nonsenseIsOneLineNamingTheOption() {
        assertEquals("--gpu-memory 'lots' is not a memory size (e.g. 24GiB, 24GB, 512MiB)",
                assertThrows(KilnException.class, () -> MemorySize.parse("lots", "--gpu-memory")).getMessage());
        assertThrows(KilnException.class, () -> MemorySize.parse("0GiB", "--gpu-memory"));
        assertThrows(KilnException.class, () -> MemorySize.parse("-1GiB", "--gpu-memory"));
    }
}
