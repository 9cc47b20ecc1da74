package kiln.runtime.kernel;

/** Picks the kernels once at start-up and remembers why. */
final class KernelProvider {
    private KernelProvider() {}

    static final String REASON;
    static final Kernels INSTANCE;

    static {
        String forced = System.getProperty("kiln.kernels", System.getenv().getOrDefault("KILN_KERNELS", ""));
        Kernels k = null;
        String why;
        if (forced.equalsIgnoreCase("scalar")) {
            why = "scalar kernels (forced by kiln.kernels=scalar)";
        } else if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            why = "scalar kernels (module jdk.incubator.vector not added; run with --add-modules jdk.incubator.vector)";
        } else {
            try {
                k = VectorKernels.create();
                why = "Vector API kernels (" + VectorKernels.describe() + ")";
            } catch (Throwable t) {
                why = "scalar kernels (Vector API unavailable: " + t + ")";
            }
        }
        INSTANCE = k != null ? k : new ScalarKernels();
        REASON = why;
    }

    static String reason() {
        return REASON;
    }
}
