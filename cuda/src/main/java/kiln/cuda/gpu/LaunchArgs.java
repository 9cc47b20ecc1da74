package kiln.cuda.gpu;

import jcuda.Pointer;
import kiln.cuda.kernel.Kernel;

/**
 * Kernel arguments as cuLaunchKernel's parameter array, checked against the PTX signature in {@link Kernel}: a
 * {@link DeviceBuffer} for u64 pointer parameters, Integer for u32, Long for 64-bit integers, Float for f32. A
 * mismatch is an IllegalArgumentException before anything reaches the driver.
 */
final class LaunchArgs {
    private LaunchArgs() {}

    static Pointer[] pointers(Kernel k, Object... args) {
        check(k, args);
        Pointer[] out = new Pointer[args.length];
        for (int i = 0; i < args.length; i++) {
            out[i] = switch (args[i]) {
                case DeviceBuffer b -> Pointer.to(b.ptr);
                case Integer v -> Pointer.to(new int[] {v});
                case Long v -> Pointer.to(new long[] {v});
                case Float v -> Pointer.to(new float[] {v});
                default -> throw new IllegalArgumentException(k + " argument " + i + ": " + args[i].getClass().getSimpleName());
            };
        }
        return out;
    }

    /** The pure-Java half of {@link #pointers}: argument count and kinds against the PTX parameter types. */
    static void check(Kernel k, Object... args) {
        if (args.length != k.params().size()) {
            throw new IllegalArgumentException(k.entry() + " takes " + k.params().size() + " arguments, got " + args.length);
        }
        for (int i = 0; i < args.length; i++) {
            String ptx = k.params().get(i);
            boolean pointerSlot = i < k.pointerParams();
            boolean ok = switch (ptx) {
                case "u64", "s64" -> pointerSlot ? args[i] instanceof DeviceBuffer : args[i] instanceof Long;
                case "u32", "s32" -> args[i] instanceof Integer;
                case "f32" -> args[i] instanceof Float;
                default -> false;
            };
            if (!ok) {
                throw new IllegalArgumentException(k.entry() + " argument " + i + " is PTX ." + ptx + (pointerSlot ? " (a device pointer)" : "")
                        + ", got " + (args[i] == null ? "null" : args[i].getClass().getSimpleName()));
            }
        }
    }
}
