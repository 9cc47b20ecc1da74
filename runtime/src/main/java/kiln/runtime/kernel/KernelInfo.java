package kiln.runtime.kernel;

/** Which kernels {@link Kernels#select()} chose and why (for logs and `kiln run` output). */
public final class KernelInfo {
    private KernelInfo() {}

    public static String describe() {
        return KernelProvider.reason();
    }
}
