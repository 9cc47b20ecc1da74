package kiln.tensor.codec.ik;

import kiln.tensor.GgmlType;

/**
 * The non-linear levels of ik's IQ2_K … IQ6_K for kernels outside this package (the runtime's vector dots): the plain
 * table, and how far the "shifted" table (picked per 16 values by the block's {@code extra} bit) lies above it — the
 * same amount for every level in these types (IQ6_K: the int8 table ik's kernels read, {@code iq6nl_values}); and
 * IQ2_KL's grid of level pairs.
 */
public final class IqkTables {
    private IqkTables() {}

    /** The plain table of a type (4, 8, 16 or 32 levels), a copy of the codec's. */
    public static byte[] plain(GgmlType t) {
        byte[] all = all(t);
        byte[] plain = new byte[all.length / 2];
        System.arraycopy(all, 0, plain, 0, plain.length);
        return plain;
    }

    /** Shifted level l − plain level l, the same for every l (checked when the table is built). */
    public static int shift(GgmlType t) {
        byte[] all = all(t);
        int n = all.length / 2, delta = all[n] - all[0];
        for (int l = 1; l < n; l++) {
            if (all[n + l] - all[l] != delta) throw new IllegalStateException(t + ": shifted table is not a constant shift");
        }
        return delta;
    }

    /** IQ2_KL's 32 grid points as (first, second) level pairs, 64 bytes: IQ3_K's plain levels ({@code k_index}). */
    public static byte[] iq2klPairs() {
        return IkIq2Kl.pairLevels();
    }

    private static byte[] all(GgmlType t) {
        return switch (t) {
            case IQ2_K -> IkIq2K.VALUES;
            case IQ3_K -> IkIq3K.VALUES;
            case IQ4_K -> IkIq4K.VALUES;
            case IQ5_K -> IkIq5K.VALUES;
            case IQ6_K -> IkIq6K.KERNEL_VALUES;
            default -> throw new IllegalArgumentException(t + " has no IQ*_K level table");
        };
    }
}
