package kiln.tensor;

import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The one table of ggml tensor types: every id of mainline llama.cpp and of ik_llama.cpp
 * (spec gguf-and-quants.md §2.1, ik-llama-formats.md §2.1). Nothing else in Kiln hard-codes sizes.
 *
 * <p>Row size is {@code rowMetaBytes + ne0 / blockSize * typeSize}; a tensor's size is row size times its
 * row count. For an interleaved type ({@link #interleave()} &gt; 1) {@code typeSize} is per row, as in ik.
 */
public enum GgmlType {
    // id, ggml name, block, bytes/block, row meta, base, interleave, mainline, ik
    F32(0, "f32", 1, 4, 0, null, 1, true, true),
    F16(1, "f16", 1, 2, 0, null, 1, true, true),
    Q4_0(2, "q4_0", 32, 18, 0, null, 1, true, true),
    Q4_1(3, "q4_1", 32, 20, 0, null, 1, true, true),
    Q5_0(6, "q5_0", 32, 22, 0, null, 1, true, true),
    Q5_1(7, "q5_1", 32, 24, 0, null, 1, true, true),
    Q8_0(8, "q8_0", 32, 34, 0, null, 1, true, true),
    Q8_1(9, "q8_1", 32, 36, 0, null, 1, true, true),
    Q2_K(10, "q2_K", 256, 84, 0, null, 1, true, true),
    Q3_K(11, "q3_K", 256, 110, 0, null, 1, true, true),
    Q4_K(12, "q4_K", 256, 144, 0, null, 1, true, true),
    Q5_K(13, "q5_K", 256, 176, 0, null, 1, true, true),
    Q6_K(14, "q6_K", 256, 210, 0, null, 1, true, true),
    Q8_K(15, "q8_K", 256, 292, 0, null, 1, true, true),
    IQ2_XXS(16, "iq2_xxs", 256, 66, 0, null, 1, true, true),
    IQ2_XS(17, "iq2_xs", 256, 74, 0, null, 1, true, true),
    IQ3_XXS(18, "iq3_xxs", 256, 98, 0, null, 1, true, true),
    IQ1_S(19, "iq1_s", 256, 50, 0, null, 1, true, true),
    IQ4_NL(20, "iq4_nl", 32, 18, 0, null, 1, true, true),
    IQ3_S(21, "iq3_s", 256, 110, 0, null, 1, true, true),
    IQ2_S(22, "iq2_s", 256, 82, 0, null, 1, true, true),
    IQ4_XS(23, "iq4_xs", 256, 136, 0, null, 1, true, true),
    I8(24, "i8", 1, 1, 0, null, 1, true, true),
    I16(25, "i16", 1, 2, 0, null, 1, true, true),
    I32(26, "i32", 1, 4, 0, null, 1, true, true),
    I64(27, "i64", 1, 8, 0, null, 1, true, true),
    F64(28, "f64", 1, 8, 0, null, 1, true, true),
    IQ1_M(29, "iq1_m", 256, 56, 0, null, 1, true, true),
    BF16(30, "bf16", 1, 2, 0, null, 1, true, true),
    Q4_0_4X4(31, "q4_0_4x4", 32, 18, 0, Q4_0, 4, false, true),
    Q4_0_4X8(32, "q4_0_4x8", 32, 18, 0, Q4_0, 4, false, true),
    Q4_0_8X8(33, "q4_0_8x8", 32, 18, 0, Q4_0, 8, false, true),
    TQ1_0(34, "tq1_0", 256, 54, 0, null, 1, true, false),
    TQ2_0(35, "tq2_0", 256, 66, 0, null, 1, true, false),
    I2_S(36, "i2_s", 1, 1, 0, null, 1, false, true),
    MXFP4(39, "mxfp4", 32, 17, 0, null, 1, true, true),
    NVFP4(40, "nvfp4", 64, 36, 0, null, 1, true, false),
    Q1_0(41, "q1_0", 128, 18, 0, null, 1, true, true),
    Q2_0(42, "q2_0", 64, 18, 0, null, 1, true, false),
    Q8_0_X4(97, "q8_0_x4", 32, 34, 0, null, 1, false, true),
    Q8_1_X4(98, "q8_1_x4", 32, 36, 0, null, 1, false, true),
    Q8_2_X4(99, "q8_2_x4", 32, 36, 0, null, 1, false, true),
    Q6_0(133, "q6_0", 32, 26, 0, null, 1, false, true),
    IQ1_BN(134, "iq1_bn", 64, 13, 2, null, 1, false, true),
    IQ2_BN(135, "iq2_bn", 64, 16, 4, null, 1, false, true),
    Q8_K64(136, "q8_K64", 64, 68, 0, null, 1, false, true),
    IQ2_K(137, "iq2_k", 256, 76, 0, null, 1, false, true),
    IQ3_K(138, "iq3_k", 256, 110, 0, null, 1, false, true),
    IQ4_K(139, "iq4_k", 256, 144, 0, null, 1, false, true),
    IQ5_K(140, "iq5_k", 256, 176, 0, null, 1, false, true),
    IQ6_K(141, "iq6_k", 256, 212, 0, null, 1, false, true),
    IQ4_KS(144, "iq4_ks", 256, 136, 4, null, 1, false, true),
    IQ2_KS(145, "iq2_ks", 256, 70, 2, null, 1, false, true),
    IQ4_KSS(146, "iq4_kss", 256, 128, 4, null, 1, false, true),
    Q8_K16(147, "q8_K16", 64, 64, 20, null, 1, false, true),
    Q8_K32(148, "q8_K32", 256, 292, 0, null, 1, false, true),
    Q8_KR8(149, "q8_KR8", 256, 292, 0, null, 1, false, true),
    Q8_K128(150, "q8_K128", 128, 140, 0, null, 1, false, true),
    Q8_KV(151, "q8_KV", 32, 32, 8, null, 1, false, true),
    IQ5_KS(152, "iq5_ks", 256, 168, 4, null, 1, false, true),
    IQ2_KT(153, "iq2_kt", 256, 68, 4, null, 1, false, true),
    IQ3_KT(154, "iq3_kt", 256, 100, 4, null, 1, false, true),
    IQ4_KT(155, "iq4_kt", 256, 128, 4, null, 1, false, true),
    IQ3_KS(156, "iq3_ks", 256, 102, 2, null, 1, false, true),
    IQ2_KL(157, "iq2_kl", 256, 86, 2, null, 1, false, true),
    IQ1_KT(158, "iq1_kt", 256, 56, 4, null, 1, false, true),
    Q4_0_R8(202, "q4_0_r8", 32, 18, 0, Q4_0, 8, false, true),
    Q5_0_R4(206, "q5_0_r4", 32, 22, 0, Q5_0, 4, false, true),
    Q8_0_R8(208, "q8_0_r8", 32, 34, 0, Q8_0, 8, false, true),
    Q2_K_R4(210, "q2_k_r4", 256, 84, 0, Q2_K, 4, false, true),
    Q3_K_R4(211, "q3_k_r4", 256, 110, 0, Q3_K, 4, false, true),
    Q4_K_R4(212, "q4_k_r4", 256, 144, 0, Q4_K, 4, false, true),
    Q5_K_R4(213, "q5_k_r4", 256, 176, 0, Q5_K, 4, false, true),
    Q6_K_R4(214, "q6_k_r4", 256, 210, 0, Q6_K, 4, false, true),
    IQ2_XXS_R4(216, "iq2_xxs_r4", 256, 66, 0, IQ2_XXS, 4, false, true),
    IQ2_XS_R4(217, "iq2_xs_r4", 256, 74, 0, IQ2_XS, 4, false, true),
    IQ3_XXS_R4(218, "iq3_xxs_r4", 256, 98, 0, IQ3_XXS, 4, false, true),
    IQ1_S_R4(219, "iq1_s_r4", 32, 6, 2, null, 4, false, true),
    IQ4_NL_R4(220, "iq4_nl_r4", 32, 18, 0, IQ4_NL, 4, false, true),
    IQ3_S_R4(221, "iq3_s_r4", 256, 110, 0, IQ3_S, 4, false, true),
    IQ2_S_R4(222, "iq2_s_r4", 256, 82, 0, IQ2_S, 4, false, true),
    IQ4_XS_R8(223, "iq4_xs_r8", 256, 136, 0, IQ4_XS, 8, false, true),
    IQ1_M_R4(229, "iq1_m_r4", 32, 7, 2, null, 4, false, true),
    BF16_R16(230, "bf16_r16", 1, 2, 0, BF16, 16, false, true),
    Q6_0_R4(233, "q6_0_r4", 32, 26, 0, Q6_0, 4, false, true),
    IQ2_BN_R4(335, "iq2_bn_r4", 64, 16, 4, IQ2_BN, 4, false, true),
    IQ2_K_R4(337, "iq2_k_r4", 256, 76, 0, IQ2_K, 4, false, true),
    IQ3_K_R4(338, "iq3_k_r4", 256, 110, 0, IQ3_K, 4, false, true),
    IQ4_K_R4(339, "iq4_k_r4", 256, 144, 0, IQ4_K, 4, false, true),
    IQ5_K_R4(340, "iq5_k_r4", 256, 176, 0, IQ5_K, 4, false, true),
    IQ4_KS_R4(344, "iq4_ks_r4", 256, 136, 4, IQ4_KS, 4, false, true),
    IQ5_KS_R4(352, "iq5_ks_r4", 256, 168, 4, IQ5_KS, 4, false, true),
    MXFP4_R8(353, "mxfp4_r8", 32, 17, 0, MXFP4, 8, false, true),
    Q8_K_R16(397, "q8_k_r16", 256, 258, 0, Q8_K, 16, false, true),
    Q8_KV_R8(398, "q8_KV_r8", 32, 32, 4, Q8_KV, 8, false, true),
    Q8_K_R8(399, "q8_k_r8", 256, 258, 0, Q8_K, 8, false, true);

    private final int id;
    private final String ggmlName;
    private final int blockSize;
    private final int typeSize;
    private final int rowMetaBytes;
    private final GgmlType base;
    private final int interleave;
    private final boolean mainline;
    private final boolean ik;

    GgmlType(int id, String ggmlName, int blockSize, int typeSize, int rowMetaBytes, GgmlType base,
             int interleave, boolean mainline, boolean ik) {
        this.id = id;
        this.ggmlName = ggmlName;
        this.blockSize = blockSize;
        this.typeSize = typeSize;
        this.rowMetaBytes = rowMetaBytes;
        this.base = base;
        this.interleave = interleave;
        this.mainline = mainline;
        this.ik = ik;
    }

    private static final GgmlType[] BY_ID = new GgmlType[400];
    private static final Map<String, GgmlType> BY_NAME = new HashMap<>();

    static {
        for (GgmlType t : values()) {
            BY_ID[t.id] = t;
            BY_NAME.put(t.ggmlName.toLowerCase(Locale.ROOT), t);
            BY_NAME.put(t.name().toLowerCase(Locale.ROOT), t);
        }
        BY_NAME.put("q1_0_g128", Q1_0); // ik's name for id 41
    }

    /** ggml type id as stored in GGUF tensor infos. */
    public int id() { return id; }

    /** ggml's type_name (as printed by the reference tools, e.g. "q4_K", "q8_0_r8"). */
    public String ggmlName() { return ggmlName; }

    /** Elements per block. */
    public int blockSize() { return blockSize; }

    /** Bytes per block (per row for interleaved types). */
    public int typeSize() { return typeSize; }

    /** Bytes of per-row metadata at the start of each row (ik types such as IQ4_KS); 0 for most types. */
    public int rowMetaBytes() { return rowMetaBytes; }

    /** For an interleaved type, the base type whose rows it interleaves; null otherwise. */
    public GgmlType base() { return base; }

    /** Number of rows interleaved together (1 for ordinary types). */
    public int interleave() { return interleave; }

    public boolean isInterleaved() { return interleave > 1; }

    /** Whether mainline llama.cpp knows this id (with this meaning). */
    public boolean knownToMainline() { return mainline; }

    /** Whether ik_llama.cpp knows this id (with this meaning). */
    public boolean knownToIk() { return ik; }

    /** Whether the id is a block-quantized type (as opposed to plain floats/ints). */
    public boolean isQuantized() {
        return blockSize > 1 || this == BF16_R16 || this == I2_S;
    }

    /** Bytes of one row of {@code ne0} elements. Throws if ne0 is not a multiple of the block size. */
    public long rowSize(long ne0) {
        if (ne0 % blockSize != 0) {
            throw new IllegalArgumentException("row length " + ne0 + " is not a multiple of " + ggmlName
                    + "'s block size " + blockSize);
        }
        return rowMetaBytes + ne0 / blockSize * typeSize;
    }

    /** Type with this id, or null when neither runtime defines it. */
    public static GgmlType byId(long id) {
        if (id < 0 || id >= BY_ID.length) return null;
        return BY_ID[(int) id];
    }

    /** Type by ggml name or enum name, case-insensitively ("Q4_K", "q4_k", "q8_0_r8"); null if unknown. */
    public static GgmlType byName(String name) {
        return name == null ? null : BY_NAME.get(name.toLowerCase(Locale.ROOT));
    }

    /** All interleaved types whose base is {@code base}. */
    public static List<GgmlType> interleavedOf(GgmlType base) {
        return Collections.unmodifiableList(Arrays.stream(values()).filter(t -> t.base == base).toList());
    }

    @Override
    public String toString() {
        return name();
    }
}
