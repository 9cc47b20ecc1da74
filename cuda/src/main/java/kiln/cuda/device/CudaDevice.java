package kiln.cuda.device;

/** One CUDA device as the driver reports it: ordinal (CUDA0, CUDA1, …), name, compute capability, memory in bytes. */
public record CudaDevice(int ordinal, String name, int ccMajor, int ccMinor, long totalBytes, long freeBytes) {
    /** llama.cpp's buffer-type name for this device. */
    public String bufferName() {
        return "CUDA" + ordinal;
    }
}
