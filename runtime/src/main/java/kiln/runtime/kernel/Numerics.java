package kiln.runtime.kernel;

/**
 * Whose arithmetic a loaded model reproduces ({@code --numerics}): chosen once at load, fixed for the model's life and
 * read by every part that depends on it — the {@link Backend}'s activation rounding and summation orders, the
 * attention's flash-attention form, the graphs' element functions, rope and routing. {@link #named} maps the option's
 * values; the other combinations exist for kernel tests and benchmarks that drive a {@link Backend} by itself.
 *
 * @param name      the {@code --numerics} value it stands for (shown in the model's description)
 * @param rounding  which activation rounding before matrix products to reproduce ({@link ActivationQuant})
 * @param sumOrder  whose summation order 16- and 32-bit float products follow ({@link GgmlDots})
 * @param reference whose element functions, flash attention, rope and routing forms to reproduce
 */
public record Numerics(String name, ActivationRounding rounding, SumOrder sumOrder, Reference reference) {

    /** Which activation rounding before matrix products to reproduce. */
    public enum ActivationRounding {
        /** Activations stay f32. */
        NONE,
        /** Rounded to bf16/f16 for 16-bit weights only (ik's kernels); f32 otherwise. */
        FLOAT16_ONLY,
        /** Rounded to the weight type's ggml dot-product type (Q8_0, Q8_K, BF16, F16). */
        GGML
    }

    /** Whose summation order 16- and 32-bit float products follow ({@link GgmlDots}). */
    public enum SumOrder {
        /** Kiln's own vector kernels. */
        FAST,
        /** mainline ggml on AVX-512: tinyBLAS for dense products, ggml_vec_dot_bf16 for expert products. */
        MAINLINE,
        /** ik_llama.cpp on AVX-512: its GEMM (tinyBLAS's lane structure) for every product, experts included. */
        IK
    }

    /** The tool whose forms outside the matrix products (element functions, flash attention, rope, routing) to reproduce. */
    public enum Reference { NONE, MAINLINE, IK }

    /** Kiln's own: f32 activations, its vector kernels' sums, plain f32 attention and element functions. */
    public static final Numerics FAST = new Numerics("fast", ActivationRounding.NONE, SumOrder.FAST, Reference.NONE);
    /** The same arithmetic as {@link #FAST} under its older name. */
    public static final Numerics F32 = new Numerics("f32", ActivationRounding.NONE, SumOrder.FAST, Reference.NONE);
    /** mainline llama.cpp: ggml's activation rounding, its AVX-512 sums, vectorised exp and f16 flash attention. */
    public static final Numerics MAINLINE = new Numerics("mainline", ActivationRounding.GGML, SumOrder.MAINLINE, Reference.MAINLINE);
    /** ik_llama.cpp: 16-bit activations for 16-bit weights, its GEMM's sums, its norm, routing and flash-attention forms. */
    public static final Numerics IK = new Numerics("ik", ActivationRounding.FLOAT16_ONLY, SumOrder.IK, Reference.IK);
    /** ggml's activation rounding with Kiln's own sums and forms: a {@link Backend} by itself (kernel tests, benchmarks). */
    public static final Numerics GGML_ROUNDED = new Numerics("ggml-rounded", ActivationRounding.GGML, SumOrder.FAST, Reference.NONE);

    public Numerics {
        java.util.Objects.requireNonNull(name);
        java.util.Objects.requireNonNull(rounding);
        java.util.Objects.requireNonNull(sumOrder);
        java.util.Objects.requireNonNull(reference);
    }

    /** The numerics a resolved {@code --numerics} value (fast, f32, mainline, ik) stands for. */
    public static Numerics named(String name) {
        return switch (name) {
            case "fast" -> FAST;
            case "f32" -> F32;
            case "mainline" -> MAINLINE;
            case "ik" -> IK;
            default -> throw new IllegalArgumentException("numerics '" + name + "' is not one of fast, f32, mainline, ik");
        };
    }

    /** The reference tools' f16 flash attention with an f16 cache (Q rounded to f16, f16 V accumulator); else plain f32. */
    public boolean ggmlFlashAttention() {
        return reference != Reference.NONE;
    }

    /**
     * mainline's build's FMA contractions: the flash attention's running sum S·ms + vs, rope's rotation, the
     * unfused expert sums (each product rounded, then added).
     */
    public boolean mainlineForms() {
        return reference == Reference.MAINLINE;
    }

    /** Element functions as the reproduced tool computes them (mainline and ik: ggml's vectorised exp, SwiGLU). */
    public boolean ggmlElementwise() {
        return reference != Reference.NONE;
    }

    /**
     * ik_llama.cpp's own forms where they differ from mainline's: norm product order, routing, expert sums, its
     * latent cache as [rope | latent] (the K·Q dot over the rope part first), its prompt path.
     */
    public boolean ikForms() {
        return reference == Reference.IK;
    }
}
