package kiln.tensor.codec.grid;

import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The value tables Kiln derives from the grid points equal ggml-common.h's: SHA-256 of each table's bytes as the C
 * arrays lie in memory (little-endian uint64/uint32), computed from ik_llama.cpp 8337e4cd's ggml/src/ggml-common.h
 * (llama.cpp's tables are the same).
 */
class GridsTest {

    @Test
    void valueTablesEqualGgmlCommon() throws Exception {
        assertEquals("05826b5d3e472a3a78f196be62ac78acf81df0f909626e12ab9fa2a5d490dd54", sha256(Grids.IQ2_XXS), "iq2xxs_grid");
        assertEquals("06e47aaca60b4dc1d9b5a3f34540437058a6b142b4d7a59d5ded769b4d1bf1de", sha256(Grids.IQ2_XS), "iq2xs_grid");
        assertEquals("e1aa1473412b0552c2174c30ef22ab4073f6a181b85a17056e8249bd2932fd88", sha256(Grids.IQ2_S), "iq2s_grid");
        assertEquals("07540ffc1aeaf6ad4d97e96b0fcc765aae39671d4ae4a27bbd0e796fde167c6a", sha256(Grids.IQ1), "iq1s_grid");
        assertEquals("46e35f5a997efdee6c99ce57854c8a0d4f0ff8ca57e5e8a60c0793ea580acf5d", sha256(Grids.IQ3_XXS), "iq3xxs_grid");
        assertEquals("bd1af4945a1717c65610b0284e4628b9a1ba3b306fae3a06f6e5f597356e349f", sha256(Grids.IQ3_S), "iq3s_grid");
    }

    @Test
    void signTableHasEvenParity() {
        assertEquals(128, Grids.SIGNS.length);
        for (int i = 0; i < 128; i++) {
            assertEquals(i, Grids.SIGNS[i] & 127);
            assertEquals(0, Integer.bitCount(Grids.SIGNS[i] & 0xFF) & 1, "ksigns_iq2xs[" + i + "]");
        }
        assertEquals((byte) 0x81, Grids.SIGNS[1]); // ksigns_iq2xs starts 0, 129, 130, 3
        assertEquals((byte) 0x03, Grids.SIGNS[3]);
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
