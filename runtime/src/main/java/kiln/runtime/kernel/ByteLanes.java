package kiln.runtime.kernel;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;

/**
 * Shifts of byte lanes for the kernels. x86 has no 8-bit vector shift, and C2's emulation of one (or its absence
 * for some shapes, which leaves the vector boxed and the kernel 10× slower) is the slowest thing a quant decoder
 * can do; these shift 16-bit lanes instead and mask away the bits that crossed into the neighbouring byte.
 */
final class ByteLanes {
    private ByteLanes() {}

    /** Each byte shifted right by n (zeros in from the left). */
    static ByteVector shiftRight(ByteVector v, int n) {
        return v.reinterpretAsShorts().lanewise(VectorOperators.LSHR, n).reinterpretAsBytes().and((byte) (0xFF >>> n));
    }

    /** Each byte shifted left by n (bits past bit 7 dropped). */
    static ByteVector shiftLeft(ByteVector v, int n) {
        return v.reinterpretAsShorts().lanewise(VectorOperators.LSHL, n).reinterpretAsBytes().and((byte) (0xFF << n));
    }
}
