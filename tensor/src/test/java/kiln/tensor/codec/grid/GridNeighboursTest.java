package kiln.tensor.codec.grid;

import kiln.tensor.codec.Flavor;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The search tables equal ggml's. The SHA-256 values are of the arrays {@code kmap_q2xs}/{@code kneighbors_q2xs}
 * (and {@code kmap_q3xs}/{@code kneighbors_q3xs}) as they lie in memory (little-endian int32 / uint16) after
 * {@code iq2xs_init_impl(type)} and {@code iq3xs_init_impl(grid_size)}, copied out of llama.cpp 3f545bec's
 * ggml/src/ggml-quants.c into a C program (gcc -O2) that wrote the arrays; ik_llama.cpp 8337e4cd's serial version of
 * {@code iq2xs_init_impl} gives the same bytes for all four 8-value grids.
 */
class GridNeighboursTest {

    @Test
    void iq2TablesEqualGgml() throws Exception {
        check(GridNeighbours.iq2xxs(), "709b1f45e8457bc27656b3bc37ea881ffc567fe71540df5aae912097b77e2fd1",
                "fb8727a3ecbf6124f63c263d0c1b05925d580426a1d732df1d91514b84a21724");
        check(GridNeighbours.iq2xs(), "d6b796100158d2c7de48d0a2d5c38efc400471f822f874f631ab71dd47454326",
                "b94f3f7601b0130674b6e0b7fdccc240b7234d31db4d60601dfc0ff6872a129e");
        check(GridNeighbours.iq2s(), "bdd7645b9d68dcd282605e039b72ed729c4252e518c5d6ffb12282135a8c37c8",
                "7e06788dce7035c2d4fdc983be81429c26fc3106db8d76a2771b285f9c2eb8ed");
    }

    @Test
    void iq1TablesEqualGgml() throws Exception {
        check(GridNeighbours.iq1(), "732ed77320813d3250cbecd7235db1a2d0a661ee4b54fa2a0b5d1cd4e08c5ef0",
                "9a5d4a8807610d7ecdb328c531a60a6e10a202801f9290a6ed17daf3b9a4b054");
    }

    @Test
    void fourValueGridTablesEqualIq3xsInit() throws Exception {
        check(new GridNeighbours(GridPoints.IQ3_XXS, 4, 3, 4096, 2),
                "2384bfe6ea71e4257727bfd5ec66d358995a2f0600bd8b6ef16a83559390e751",
                "4b54395c1c3e9766e6cbb7f2f84a3ebb43d9ca391bd344e517577c3c3c3fa01a");
        check(new GridNeighbours(GridPoints.IQ3_S, 4, 3, 4096, 3),
                "53eb24b689961eea61a0a46257a182ac58fe414a9d52163e67ee4a9fc5322659",
                "662208b0d2ce2fa3346c5fb672db4be13bc06f87c78775acfc435550935b5d89");
    }

    @Test
    void accessorsAgreeWithTheMap() {
        GridNeighbours g = GridNeighbours.iq2xxs();
        assertEquals(256, g.size());
        assertEquals(0, g.gridIndex(0)); // kgrid_2bit_256[0] = 0: all levels 0
        assertEquals(1, g.position(0, 0));
        int key = 3; // level 3 in the first value: no grid point has it
        assertEquals(-1, g.gridIndex(key));
        assertTrue(g.neighbourCount(key) > 0);
        for (int n = 0; n < g.neighbourCount(key); n++) {
            assertTrue(g.neighbour(key, n) >= 0 && g.neighbour(key, n) < 256);
        }
    }

    @Test
    void bestNeighbourFindsTheNeighbourTheValuesSitOn() {
        GridNeighbours g = GridNeighbours.iq2s();
        float[] w = {1, 2, 0.5f, 1, 3, 1, 1, 0.25f};
        for (int key : new int[] {3, 0xAAAA, 0x1234 & 0xAAAA | 1}) {
            if (g.gridIndex(key) >= 0) continue;
            for (int n = 0; n < g.neighbourCount(key); n++) {
                int point = g.neighbour(key, n);
                float scale = 0.37f;
                float[] x = new float[8];
                for (int i = 0; i < 8; i++) x[i] = scale * g.position(point, i);
                for (Flavor flavor : Flavor.values()) {
                    byte[] levels = new byte[8];
                    assertEquals(point, g.bestNeighbour(key, x, 0, w, 0, scale, flavor, levels, 0));
                    for (int i = 0; i < 8; i++) assertEquals((g.position(point, i) - 1) / 2, levels[i]);
                }
            }
        }
    }

    private static void check(GridNeighbours g, String mapSha, String neighboursSha) throws Exception {
        int[] map = g.map();
        ByteBuffer m = ByteBuffer.allocate(map.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : map) m.putInt(v);
        char[] nb = g.neighbours();
        ByteBuffer b = ByteBuffer.allocate(nb.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (char v : nb) b.putChar(v);
        assertEquals(mapSha, sha256(m.array()), "kmap");
        assertEquals(neighboursSha, sha256(b.array()), "kneighbors");
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
