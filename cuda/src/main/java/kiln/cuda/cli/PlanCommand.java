package kiln.cuda.cli;

import kiln.cuda.device.CudaDevice;
import kiln.cuda.device.CudaDevices;
import kiln.cuda.place.Inventory;
import kiln.cuda.place.MemorySize;
import kiln.cuda.place.Plan;
import kiln.cuda.place.PlanReport;
import kiln.cuda.place.PlanRequest;
import kiln.cuda.place.Planner;
import kiln.cuda.place.SyntheticInventory;
import kiln.tensor.GgmlType;
import kiln.tensor.KilnException;
import kiln.tensor.cli.KilnSubcommand;
import kiln.tensor.gguf.GgufFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code kiln plan}: where a model's tensors and cache would go for {@code -ngl}/{@code -ot}/{@code --n-cpu-moe} and
 * how much memory each device needs, refusing in one line (exit 2) when it does not fit and naming what would. With
 * {@code --gpu-memory} it needs no GPU; without it, it asks the driver for the devices' free memory.
 */
@Command(name = "plan", mixinStandardHelpOptions = true,
        description = "Where each tensor and the KV cache would go on CUDA devices for -ngl/-ot/--n-cpu-moe, and the memory per device;"
                + " no GPU needed with --gpu-memory.")
public final class PlanCommand implements Callable<Integer>, KilnSubcommand {
    @Option(names = {"-m", "--model"}, description = "GGUF file (first file of a split set); or use --synthetic") Path model;
    @Option(names = "--synthetic", paramLabel = "NAME", description = "plan a model without its file: deepseek-r1 (671B, Q4_K_M-like sizes)") String synthetic;
    @Mixin GpuOptions gpu = new GpuOptions();
    @Option(names = {"-c", "--ctx-size"}, defaultValue = "4096", description = "context size (default ${DEFAULT-VALUE})") long nCtx;
    @Option(names = {"-ctk", "--cache-type-k"}, defaultValue = "f16", description = "K cache type: f16, q8_0, f32 (default ${DEFAULT-VALUE})") String ctk;
    @Option(names = {"-ctv", "--cache-type-v"}, defaultValue = "f16", description = "V cache type: f16, q8_0, f32 (default ${DEFAULT-VALUE})") String ctv;
    @Option(names = {"-mla", "--mla-use"}, defaultValue = "3", description = "MLA mode for DeepSeek (0 = full K/V cache, 1-3 = latent cache; default ${DEFAULT-VALUE})") int mla;
    @Option(names = {"-ub", "--ubatch-size"}, defaultValue = "512", description = "micro-batch size, for the work-buffer estimate (default ${DEFAULT-VALUE})") int ubatch;
    @Option(names = "--gpu-memory", split = ",", paramLabel = "SIZE", description = "free memory of CUDA0[,CUDA1…] (e.g. 24GiB,24GiB) instead of asking the driver")
    List<String> gpuMemory;
    @Option(names = "--tensors", description = "also one line per tensor: where it goes and why (the -ot rule that matched, or its layer)")
    boolean tensors;

    @Override
    public Integer call() {
        int ngl = gpu.gpuLayers();
        var rules = gpu.overrides();
        if (nCtx < 1) throw new KilnException("-c " + nCtx + " must be at least 1");
        if (ubatch < 1) throw new KilnException("-ub " + ubatch + " must be at least 1");
        if (mla < 0 || mla > 3) throw new KilnException("-mla " + mla + " is not a mode; use 0, 1, 2 or 3");
        PlanRequest req = new PlanRequest(ngl, rules, nCtx, cacheType(ctk, "-ctk"), cacheType(ctv, "-ctv"), mla, ubatch, deviceBytes());
        for (var r : rules) {
            if (!r.target().isCpu() && r.target().cuda() >= req.devices()) {
                throw new KilnException("-ot " + r + ": there is no " + r.target().name() + " (" + req.devices() + " device(s) planned)");
            }
        }
        Inventory inv = inventory();
        Plan plan = Planner.plan(inv, req);
        if (tensors) PlanReport.tensorLines(inv, plan).forEach(System.out::println);
        PlanReport.lines(inv, plan).forEach(System.out::println);
        System.out.flush();
        if (!plan.fits()) throw new KilnException(Planner.refusal(inv, plan));
        return 0;
    }

    private Inventory inventory() {
        if ((model == null) == (synthetic == null)) throw new KilnException("give one of -m FILE or --synthetic NAME (" + String.join(", ", SyntheticInventory.NAMES) + ")");
        if (synthetic != null) return SyntheticInventory.named(synthetic);
        if (!Files.isRegularFile(model)) throw new KilnException(model + ": no such file");
        try (GgufFile f = GgufFile.open(model)) {
            return Inventory.of(f);
        }
    }

    private long[] deviceBytes() {
        if (gpuMemory != null) {
            long[] out = new long[gpuMemory.size()];
            for (int i = 0; i < out.length; i++) out[i] = MemorySize.parse(gpuMemory.get(i), "--gpu-memory");
            return out;
        }
        CudaDevices found = CudaDevices.probe();
        if (!found.found()) {
            throw new KilnException("no CUDA device found (" + found.reason() + "); give --gpu-memory 24GiB[,24GiB] to plan for devices this machine does not have");
        }
        return found.devices().stream().mapToLong(CudaDevice::freeBytes).toArray();
    }

    static GgmlType cacheType(String s, String option) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "f16" -> GgmlType.F16;
            case "q8_0" -> GgmlType.Q8_0;
            case "f32" -> GgmlType.F32;
            default -> throw new KilnException(option + " '" + s + "' is not a cache type Kiln has (f16, q8_0, f32)");
        };
    }
}
