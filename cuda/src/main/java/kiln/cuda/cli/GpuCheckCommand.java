package kiln.cuda.cli;

import kiln.cuda.check.Agreement;
import kiln.cuda.check.KernelAgreement;
import kiln.cuda.check.KernelBench;
import kiln.cuda.device.CudaDevice;
import kiln.cuda.device.CudaDevices;
import kiln.cuda.gpu.CudaBackend;
import kiln.cuda.gpu.CudaContext;
import kiln.tensor.KilnException;
import kiln.tensor.cli.KilnSubcommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * {@code kiln gpu-check}: the GPU session's one command. Lists the devices, loads the PTX, runs every kernel against
 * its scalar oracle and (unless {@code --no-bench}) the bandwidth benchmark; JSON lines on stdout. Exit 0 when
 * every kernel agrees, 1 when one does not, 2 when there is no device.
 */
@Command(name = "gpu-check", mixinStandardHelpOptions = true,
        description = "On a machine with a CUDA device: check every CUDA kernel against its scalar oracle and time the matvec kernels (JSON lines).")
public final class GpuCheckCommand implements Callable<Integer>, KilnSubcommand {
    @Option(names = "--device", defaultValue = "0", description = "CUDA device ordinal (default ${DEFAULT-VALUE})") int device;
    @Option(names = "--no-bench", description = "only the agreement checks") boolean noBench;

    @Override
    public Integer call() {
        CudaDevices found = CudaDevices.probe();
        if (!found.found()) throw new KilnException("no CUDA device found (" + found.reason() + "); gpu-check needs a GPU");
        if (device < 0 || device >= found.devices().size()) throw new KilnException("--device " + device + ": this machine has " + found.devices().size() + " CUDA device(s)");
        for (CudaDevice d : found.devices()) {
            System.out.printf(Locale.ROOT, "{\"check\": \"device\", \"name\": \"%s\", \"ordinal\": %d, \"cc\": \"%d.%d\", \"total_bytes\": %d, \"free_bytes\": %d, "
                            + "\"memory_clock_khz\": %d, \"bus_width_bits\": %d, \"peak_gbs\": %.1f}%n",
                    d.name().replace("\"", "'"), d.ordinal(), d.ccMajor(), d.ccMinor(), d.totalBytes(), d.freeBytes(), d.memoryClockKhz(),
                    d.busWidthBits(), d.peakBandwidth() / 1e9);
        }
        boolean ok = true;
        try (CudaBackend gpu = new CudaBackend(CudaContext.open(device))) {
            List<Agreement> results = KernelAgreement.run(gpu);
            for (Agreement a : results) {
                System.out.println(a.json());
                ok &= a.ok();
            }
            if (!noBench) KernelBench.run(gpu, found.devices().get(device).peakBandwidth()).forEach(System.out::println);
        }
        System.out.flush();
        return ok ? 0 : 1;
    }
}
