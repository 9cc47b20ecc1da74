package kiln.runtime.kernel;

import kiln.tensor.GgmlType;
import kiln.tensor.codec.RowCodec;

/**
 * How one weight's products run, resolved once per weight at load ({@link Backend#planned}) under the model's
 * {@link Numerics} and kernels, so that {@link Backend#matmul} and the kernels only schedule: the type the activations
 * are rounded to first, whether the reference tool's summation order applies and in which form, and the kernel of the
 * weight's type. Carried by the {@link Weight} (its parts and row slices keep it: it depends on the type and the row
 * length only). Immutable.
 */
public final class MatmulPlan {
    /** What it was resolved for: a backend re-plans a weight planned for other numerics or kernels. */
    final Numerics numerics;
    final boolean vectorKernels;
    /** The type activations are rounded to before the product (null: they stay f32). */
    final GgmlType roundTo;
    /** The codec that rounds them when {@link FastRows} does not (null: FastRows does, or no rounding). */
    final RowCodec roundCodec;
    /** The reference tool's sums apply (bf16 rows of a multiple of 32 values, f32 of 16; numerics other than fast). */
    final boolean referenceSum;
    /** The reference sums are f32's ({@link GgmlDots#f32Gemm}); else bf16's. */
    final boolean f32Sum;
    /** Expert products follow ggml_vec_dot_bf16's order (mainline's mul_mat_id on bf16 experts). */
    final boolean expertVecSum;
    /** The bf16 reference sums run vectorised on activations in {@link GgmlDots#splitPairs} layout. */
    final boolean splitPairs;
    /** The vector kernels of a plain type (null: none at this width, or scalar kernels). */
    final TypeKernels.Entry typeKernel;
    /** The in-place kernel of an interleaved type (null: none at this width, or scalar kernels). */
    final InterleavedKernel interleavedKernel;
    /** The prompt tiles' decoder of an interleaved type's groups (null: none, or scalar kernels). */
    final InterleavedRows interleavedRows;
    /** How an interleaved type's groups become base rows (null: they cannot, or scalar kernels)... */
    final GroupUnpacker unpacker;
    /** ...and the vector kernels of that base type (null: none at this width). */
    final TypeKernels.Entry baseKernel;

    private MatmulPlan(Numerics numerics, boolean vectorKernels, GgmlType roundTo, RowCodec roundCodec, boolean referenceSum,
                       boolean f32Sum, boolean expertVecSum, boolean splitPairs, TypeKernels.Entry typeKernel,
                       InterleavedKernel interleavedKernel, InterleavedRows interleavedRows, GroupUnpacker unpacker) {
        this.numerics = numerics;
        this.vectorKernels = vectorKernels;
        this.roundTo = roundTo;
        this.roundCodec = roundCodec;
        this.referenceSum = referenceSum;
        this.f32Sum = f32Sum;
        this.expertVecSum = expertVecSum;
        this.splitPairs = splitPairs;
        this.typeKernel = typeKernel;
        this.interleavedKernel = interleavedKernel;
        this.interleavedRows = interleavedRows;
        this.unpacker = unpacker;
        this.baseKernel = unpacker != null ? TypeKernels.of(unpacker.base()) : null;
    }

    /** Whether this plan was resolved for these numerics and this kind of kernels. */
    boolean madeFor(Numerics n, boolean vector) {
        return numerics.equals(n) && vectorKernels == vector;
    }

    /** The plan of weights of this type and row length under these numerics, for the vector kernels or the scalar ones. */
    static MatmulPlan resolve(GgmlType type, int cols, Numerics numerics, boolean vectorKernels) {
        GgmlType at = numerics.rounding() == Numerics.ActivationRounding.NONE ? null : ActivationQuant.typeFor(type);
        if (numerics.rounding() == Numerics.ActivationRounding.FLOAT16_ONLY && at != GgmlType.BF16 && at != GgmlType.F16) at = null;
        RowCodec codec = null;
        if (at != null && cols % at.blockSize() != 0) at = null;
        if (at != null && !FastRows.rounds(at)) {
            codec = ActivationQuant.forWeight(type);
            if (codec == null) at = null;
        }
        boolean bf16 = type == GgmlType.BF16 && cols % 32 == 0, f32 = type == GgmlType.F32 && cols % 16 == 0;
        boolean reference = numerics.sumOrder() != Numerics.SumOrder.FAST && (bf16 || f32);
        boolean split = reference && bf16 && vectorKernels && GgmlDots.VECTOR;
        boolean plain = !vectorKernels || type.interleave() <= 1, grouped = vectorKernels && !plain;
        return new MatmulPlan(numerics, vectorKernels, at, codec, reference, reference && f32,
                reference && bf16 && numerics.sumOrder() == Numerics.SumOrder.MAINLINE, split,
                vectorKernels && plain ? TypeKernels.of(type) : null,
                grouped ? InterleavedKernel.forType(type) : null,
                grouped ? InterleavedRows.forType(type) : null,
                grouped ? GroupUnpacker.of(type, cols) : null);
    }

    /** The kernel part of a plan (what {@link VectorKernels} reads) for a weight built without one. */
    static MatmulPlan kernelsOf(GgmlType type, int cols) {
        return resolve(type, cols, Numerics.FAST, true);
    }

    @Override
    public String toString() {
        return numerics.name() + (roundTo != null ? ", activations as " + roundTo.ggmlName() : "")
                + (referenceSum ? ", " + numerics.sumOrder().name().toLowerCase() + " sums" : "");
    }
}
