package kiln.tensor.codec.ik;

/**
 * The inner loop of the trellis search ({@link TrellisQuantizer#findBestMatch}): every point of a cluster scored
 * against one group, each of ik's 8 AVX2 lanes keeping its first minimum. The cluster comes as one int array of
 * column pairs: {@code columns[j·npoint + p]} holds the upper 16 bits of the floats of values 2j (high half) and 2j+1
 * (low half) of the point at scan position p (trellis values are integers in [−126, 126], exact in 16 bits; a value
 * is read back with one integer operation, no conversion); {@code npoint} is a multiple of 8.
 *
 * <p>Scores: per value {@code w·((q − x)²)} in floats, no fused operations, summed as ik's {@code hsum_float_8x8}
 * (groups of 8: ((s0+s4)+(s2+s6))+((s1+s5)+(s3+s7))) or {@code hsum_float_4x8} (groups of 4: (s0+s2)+(s1+s3)).
 * Lane i holds the scan positions p ≡ i (mod 8): the smallest score strictly below +∞ and the first position that
 * has it, or +∞ and −1.
 *
 * <p>{@link #BEST} is chosen once: the Vector API scan ({@code TrellisLaneScanVector}) when the JVM has the module
 * {@code jdk.incubator.vector}, else {@link #SCALAR}, which is also the oracle the tests compare it with.
 */
interface TrellisLaneScan {
    void laneMinima(int[] columns, int npoint, int group, float[] sx, float[] w, int wl, float[] laneBest, int[] laneIndex);

    TrellisLaneScan SCALAR = new TrellisLaneScanScalar();

    /** The scan the quantizers use. */
    TrellisLaneScan BEST = VectorModule.PRESENT ? new TrellisLaneScanVector() : SCALAR;
}
