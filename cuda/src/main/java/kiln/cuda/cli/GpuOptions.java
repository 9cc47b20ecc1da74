package kiln.cuda.cli;

import kiln.cuda.device.CudaDevice;
import kiln.cuda.device.CudaDevices;
import kiln.cuda.place.OverrideRule;
import kiln.tensor.KilnException;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The GPU placement options, named as in llama.cpp, for every command that loads a model ({@code run},
 * {@code perplexity}, {@code chat}, {@code serve}, {@code bench}, {@code sweep-bench}) and for {@code plan}.
 * bench reads the lists as llama-bench does (one configuration per -ngl value and per ';'-separated -ot list);
 * the other commands take one value of each.
 */
public final class GpuOptions {
    @Option(names = {"-ngl", "--n-gpu-layers", "--gpu-layers"}, split = ",", paramLabel = "N",
            description = "layers to put on CUDA devices, counted from the last (llama.cpp's rule: N > block count also puts"
                    + " the output head there); bench: a comma list. Needs a CUDA device: Kiln refuses in one line without one")
    List<String> gpuLayers;

    @Option(names = {"-ot", "--override-tensor"}, paramLabel = "REGEX=BUFFER,…",
            description = "tensors whose name the regex is found in go to BUFFER (CPU, CUDA0, CUDA1); a comma list, repeatable,"
                    + " the first matching rule wins (llama.cpp's rules); bench: ';' separates configurations")
    List<String> overrideTensor;

    @Option(names = {"-ncmoe", "--n-cpu-moe"}, paramLabel = "N",
            description = "keep the routed experts of the first N layers on the CPU (llama.cpp's expansion: -ot blk\\.i\\.ffn_(up|down|gate)_exps=CPU for i < N)")
    Integer nCpuMoe;

    @Option(names = {"-cmoe", "--cpu-moe"}, description = "keep every routed expert on the CPU (-ot \\.ffn_(up|down|gate)_exps=CPU)")
    boolean cpuMoe;

    /** Where the devices come from: the driver, or (for tests and {@code kiln plan}) a given list. */
    Supplier<CudaDevices> devices = CudaDevices::probe;

    /** The -ngl values (empty list: not given). */
    public List<Integer> gpuLayersList() {
        List<Integer> out = new ArrayList<>();
        if (gpuLayers == null) return out;
        for (String v : gpuLayers) {
            try {
                int n = Integer.parseInt(v.strip());
                if (n < 0) throw new NumberFormatException();
                out.add(n);
            } catch (NumberFormatException e) {
                throw new KilnException("-ngl '" + v.strip() + "' is not a layer count (a whole number ≥ 0, e.g. -ngl 999)");
            }
        }
        return out;
    }

    /** The one -ngl value of a command that runs one configuration (0 when not given). */
    public int gpuLayers() {
        List<Integer> l = gpuLayersList();
        if (l.size() > 1) throw new KilnException("-ngl takes one value here (lists are for kiln bench), got " + String.join(",", gpuLayers));
        return l.isEmpty() ? 0 : l.getFirst();
    }

    /** The override configurations as llama-bench reads them (';' separates them); always at least one (maybe empty). */
    public List<List<OverrideRule>> overrideConfigurations() {
        List<List<OverrideRule>> out = new ArrayList<>();
        if (overrideTensor != null) {
            for (String v : overrideTensor) {
                for (String conf : v.split(";", -1)) {
                    List<OverrideRule> rules = new ArrayList<>(OverrideRule.parseList(conf));
                    rules.addAll(moeRules());
                    out.add(rules);
                }
            }
        }
        if (out.isEmpty()) out.add(moeRules());
        return out;
    }

    /** The override rules of a command that runs one configuration: every -ot in order, then --cpu-moe / --n-cpu-moe. */
    public List<OverrideRule> overrides() {
        List<OverrideRule> out = new ArrayList<>();
        if (overrideTensor != null) {
            for (String v : overrideTensor) {
                if (v.contains(";")) throw new KilnException("-ot '" + v + "': ';' separates configurations in kiln bench only; repeat -ot or use ',' here");
                out.addAll(OverrideRule.parseList(v));
            }
        }
        out.addAll(moeRules());
        return out;
    }

    private List<OverrideRule> moeRules() {
        List<OverrideRule> out = new ArrayList<>();
        if (cpuMoe) out.add(OverrideRule.allExpertsOnCpu());
        if (nCpuMoe != null) out.addAll(OverrideRule.firstLayersExpertsOnCpu(nCpuMoe));
        return out;
    }

    /** Whether any configuration puts anything on a CUDA device. */
    public boolean asksForGpu() {
        if (gpuLayersList().stream().anyMatch(n -> n > 0)) return true;
        return overrideConfigurations().stream().flatMap(List::stream).anyMatch(r -> !r.target().isCpu());
    }

    /** The flag a refusal names: the one that asked for the GPU. */
    private String askingFlag() {
        return gpuLayersList().stream().anyMatch(n -> n > 0) ? "-ngl" : "-ot …=CUDA";
    }

    /**
     * Checks the values (for every command, before any file is read) and, when a GPU is asked for, looks for one: none
     * found gives the one line "no CUDA device found (reason); run without -ngl" (exit 2). JCuda is not touched unless a
     * GPU is asked for.
     */
    public void check() {
        gpuLayersList();
        overrideConfigurations();
        if (!asksForGpu()) return;
        CudaDevices found = devices.get();
        if (!found.found()) throw new KilnException(found.refusal(askingFlag()));
        for (OverrideRule r : overrideConfigurations().stream().flatMap(List::stream).toList()) {
            if (!r.target().isCpu() && r.target().cuda() >= found.devices().size()) {
                throw new KilnException("-ot " + r + ": there is no " + r.target().name() + "; this machine has "
                        + found.devices().stream().map(CudaDevice::bufferName).collect(Collectors.joining(", ")));
            }
        }
        throw new KilnException("found " + found.devices().stream().map(d -> d.bufferName() + " (" + d.name() + ")").collect(Collectors.joining(", "))
                + ", but Kiln's model graphs do not run on a GPU yet (issue 16: kernels and planner exist, execution does not);"
                + " see the plan with kiln plan, and run without " + askingFlag());
    }

    /** The flags given that change nothing on the CPU-only path (for the "accepted and ignored" note). */
    public List<String> ignoredGiven() {
        List<String> out = new ArrayList<>();
        if (gpuLayers != null) out.add("-ngl 0");
        if (overrideTensor != null) out.add("-ot …=CPU");
        if (nCpuMoe != null) out.add("--n-cpu-moe");
        if (cpuMoe) out.add("--cpu-moe");
        return out;
    }

    /** The -ot rules as llama-bench records them in {@code override_tensor} ("" when none). */
    public static String record(List<OverrideRule> rules) {
        return rules.stream().map(OverrideRule::toString).collect(Collectors.joining(","));
    }
}
