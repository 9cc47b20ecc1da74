package kiln.cuda.device;

import java.util.List;

/**
 * Which CUDA devices this machine has, found without ever throwing: on a machine without the NVIDIA driver or
 * without a device the answer is an empty list and the reason. JCuda's classes are loaded only by {@link #probe()}
 * (through {@link DriverProbe}), so nothing else in Kiln touches them unless a GPU is asked for.
 *
 * @param devices the devices, in ordinal order; empty when none was found
 * @param reason  why none was found (null when some were)
 */
public record CudaDevices(List<CudaDevice> devices, String reason) {

    public static CudaDevices none(String reason) {
        return new CudaDevices(List.of(), reason);
    }

    public boolean found() {
        return !devices.isEmpty();
    }

    /** The one line a command prints when a GPU was asked for and none is there (after "kiln CMD: "). */
    public String refusal(String flag) {
        return "no CUDA device found (" + reason + "); run without " + flag;
    }

    private static CudaDevices cached;

    /** Asks the driver once per process (later calls return the first answer). */
    public static synchronized CudaDevices probe() {
        if (cached == null) cached = probeUncached();
        return cached;
    }

    static CudaDevices probeUncached() {
        try {
            return DriverProbe.probe();
        } catch (Throwable t) { // UnsatisfiedLinkError from JCudaDriver.<clinit> without libcuda, or anything JCuda throws
            return none(describe(t));
        }
    }

    /** A short reason from what loading the driver threw (JCuda's own messages run over many lines). */
    static String describe(Throwable t) {
        String all = String.valueOf(t.getMessage());
        for (Throwable c = t.getCause(); c != null; c = c.getCause()) all += " " + c.getMessage();
        if (t instanceof LinkageError && all.contains("libcuda")) {
            return "libcuda.so.1, the NVIDIA driver's library, could not be loaded";
        }
        if (t instanceof LinkageError) {
            return "JCuda's driver library could not be loaded: " + firstLine(all);
        }
        return t.getClass().getSimpleName() + ": " + firstLine(all);
    }

    private static String firstLine(String s) {
        String line = s.strip().lines().findFirst().orElse("");
        return line.length() > 160 ? line.substring(0, 160) + "…" : line;
    }
}
