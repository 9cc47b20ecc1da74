package kiln.cuda.device;

/**
 * One CUDA device as the driver reports it: ordinal (CUDA0, CUDA1, …), name, compute capability, memory in bytes,
 * and the memory interface (clock in kHz, bus width in bits) that fixes its peak bandwidth.
 */
public record CudaDevice(int ordinal, String name, int ccMajor, int ccMinor, long totalBytes, long freeBytes, int memoryClockKhz,
                         int busWidthBits) {
    /** llama.cpp's buffer-type name for this device. */
    public String bufferName() {
        return "CUDA" + ordinal;
    }

    /**
     * Peak memory bandwidth in bytes/s: two transfers per clock (DDR; the driver reports HBM and GDDR clocks so)
     * × bus width. 0 when the driver did not say.
     */
    public double peakBandwidth() {
        return 2.0 * memoryClockKhz * 1000.0 * busWidthBits / 8.0;
    }
}
