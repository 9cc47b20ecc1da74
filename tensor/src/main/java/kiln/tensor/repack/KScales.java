package kiln.tensor.repack;

/** The 12-byte packed 6-bit (scale, min) pairs of Q4_K/Q5_K ({@code get_scale_min_k4}) and its inverse. */
final class KScales {
    private KScales() {}

    /** Unpacks the 8 scales and 8 mins from {@code q[off..off+12)}. */
    static void unpack(byte[] q, int off, int[] sc, int[] m) {
        for (int j = 0; j < 8; j++) {
            if (j < 4) {
                sc[j] = q[off + j] & 63;
                m[j] = q[off + j + 4] & 63;
            } else {
                sc[j] = (q[off + j + 4] & 0xF) | ((q[off + j - 4] & 0xFF) >> 6) << 4;
                m[j] = ((q[off + j + 4] & 0xFF) >> 4) | ((q[off + j] & 0xFF) >> 6) << 4;
            }
        }
    }

    /** Packs 8 six-bit scales and mins into {@code q[off..off+12)}. */
    static void pack(int[] sc, int[] m, byte[] q, int off) {
        for (int j = 0; j < 4; j++) {
            q[off + j] = (byte) (sc[j] | (sc[j + 4] >> 4) << 6);
            q[off + j + 4] = (byte) (m[j] | (m[j + 4] >> 4) << 6);
            q[off + j + 8] = (byte) ((sc[j + 4] & 0xF) | (m[j + 4] & 0xF) << 4);
        }
    }
}
