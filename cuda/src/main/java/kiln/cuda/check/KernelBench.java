package kiln.cuda.check;

import kiln.cuda.gpu.CudaBackend;
import kiln.cuda.gpu.CudaContext;
import kiln.cuda.gpu.DeviceBuffer;
import kiln.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Memory-bandwidth benchmark of the generation kernels: a device-to-device copy gives the bandwidth the GPU reaches
 * in practice (bytes read + written per second), then each matvec on a llama-8B-sized FFN matrix (14336 × 4096) is
 * timed over repetitions; its shares are weight bytes per second over the copy's figure and over the device's peak
 * (the roofline the issue's ≥ 70 % goal refers to). The tiled prompt kernel is
 * timed on 512 tokens (pp512's micro-batch), reported in tokens/s for that one matrix. Random bytes are fine for
 * timing (the kernels do not branch on values).
 */
public final class KernelBench {
    private KernelBench() {}

    public static List<String> run(CudaBackend gpu, double peakBytesPerS) {
        CudaContext cx = gpu.context();
        List<String> out = new ArrayList<>();
        long copyBytes = 1L << 30;
        double copyGbs;
        try (DeviceBuffer a = cx.alloc(copyBytes); DeviceBuffer b = cx.alloc(copyBytes)) {
            cx.copy(b, a, copyBytes);
            float ms = cx.timeMs(() -> {
                for (int i = 0; i < 10; i++) cx.copy(b, a, copyBytes);
            });
            copyGbs = 2.0 * copyBytes * 10 / (ms * 1e-3) / 1e9;
            out.add(String.format(Locale.ROOT, "{\"check\": \"bench\", \"op\": \"copy_dtod\", \"bytes\": %d, \"gbs\": %.1f}", copyBytes, copyGbs));
        }
        int rows = 14336, cols = 4096, reps = 50;
        for (GgmlType t : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K, GgmlType.IQ4_XS}) {
            long bytes = t.rowSize(cols) * rows;
            byte[] raw = new byte[Math.toIntExact(bytes)];
            new Random(1).nextBytes(raw);
            // random bytes: some fp16 scales come out NaN or Inf, which costs a GPU no time; only the time is used
            MemorySegment w = MemorySegment.ofArray(raw);
            float[] x = new float[cols];
            java.util.Arrays.fill(x, 0.01f);
            try (DeviceBuffer dw = cx.upload(w); DeviceBuffer dx = cx.upload(x); DeviceBuffer d = cx.alloc(4L * rows)) {
                gpu.matvec(t, dw, rows, cols, dx, d, 1);
                float ms = cx.timeMs(() -> {
                    for (int i = 0; i < reps; i++) gpu.matvec(t, dw, rows, cols, dx, d, 1);
                });
                double us = ms * 1e3 / reps, gbs = bytes / (us * 1e-6) / 1e9;
                out.add(String.format(Locale.ROOT, "{\"check\": \"bench\", \"op\": \"matvec_%s\", \"rows\": %d, \"cols\": %d, \"us\": %.2f, \"gbs\": %.1f, \"share_of_copy\": %.3f, \"share_of_peak\": %.3f}",
                        t.ggmlName().toLowerCase(Locale.ROOT), rows, cols, us, gbs, gbs / copyGbs, peakBytesPerS > 0 ? gbs * 1e9 / peakBytesPerS : 0));
            }
            int ntok = 512;
            float[] xs = new float[ntok * cols];
            java.util.Arrays.fill(xs, 0.01f);
            try (DeviceBuffer dw = cx.upload(w); DeviceBuffer dx = cx.upload(xs); DeviceBuffer d = cx.alloc(4L * rows * ntok)) {
                gpu.matvec(t, dw, rows, cols, dx, d, ntok);
                float ms = cx.timeMs(() -> {
                    for (int i = 0; i < 5; i++) gpu.matvec(t, dw, rows, cols, dx, d, ntok);
                });
                double us = ms * 1e3 / 5;
                out.add(String.format(Locale.ROOT, "{\"check\": \"bench\", \"op\": \"matmul_t8_%s\", \"rows\": %d, \"cols\": %d, \"tokens\": %d, \"us\": %.1f, \"tokens_per_s\": %.0f, \"tflops\": %.2f}",
                        t.ggmlName().toLowerCase(Locale.ROOT), rows, cols, ntok, us, ntok / (us * 1e-6), 2.0 * rows * cols * ntok / (us * 1e-6) / 1e12));
            }
        }
        return out;
    }
}
