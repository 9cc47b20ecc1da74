package kiln.runtime.cli;

import kiln.cuda.cli.GpuOptions;
import kiln.tensor.KilnException;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The llama.cpp / ik_llama.cpp flags users type out of habit, for {@code run}, {@code perplexity}, {@code bench} and
 * {@code sweep-bench}: accepted where Kiln's CPU runtime already does what they ask or they do not apply to it
 * (documented as ignored in the runtime README), except {@code -amb}, which bounds the kept decompressed K/V; the GPU flags are the cuda module's {@link GpuOptions}, refused in one
 * line when they ask for a GPU.
 */
public final class LlamaCppOptions {
    @Option(names = {"-fa", "--flash-attn"}, arity = "0..1", fallbackValue = "on", split = ",", paramLabel = "on|off|auto",
            description = "accepted for llama.cpp compatibility (-fa, -fa 1, -fa on; bench: a list): Kiln always runs its own fused"
                    + " attention, whatever the value; bench and sweep-bench record it")
    List<String> flashAttn;

    @Option(names = {"-fmoe", "--fused-moe"}, arity = "0..1", fallbackValue = "1", paramLabel = "0|1",
            description = "accepted and ignored: with Kiln's numerics a MoE layer's experts always run fused (gate and up of"
                    + " every selected expert and the shared one in one step, then every down; prompt batches in passes of at most -ub"
                    + " (token, expert) slots)")
    String fusedMoe;

    @Option(names = {"-amb", "--attention-max-batch"}, paramLabel = "N",
            description = "MiB the -mla 2/3 prompts' decompressed K/V kept across micro-batches may take (ik_llama.cpp's"
                    + " bound on what attention holds, in MiB; 0: a quarter of the heap; default min(2048, a quarter of the"
                    + " heap)): layers past it are decompressed again every micro-batch, with the same arithmetic")
    String attentionMaxBatch;

    @Option(names = {"-ser", "--smart-expert-reduction"}, paramLabel = "N,T",
            description = "accepted and ignored: Kiln always routes every token to expert_used_count experts")
    String smartExpertReduction;

    @Option(names = {"-tb", "--threads-batch"}, paramLabel = "N",
            description = "accepted and ignored: Kiln uses the -t threads for prompts and generation alike")
    Integer threadsBatch;

    @Option(names = "--no-mmap", description = "accepted and ignored: Kiln always memory-maps the weights")
    boolean noMmap;

    @Option(names = "--mlock", description = "accepted and ignored: the mapped weights are not locked in memory")
    boolean mlock;

    /** -ngl, -ot, --n-cpu-moe, --cpu-moe: one mixin for every command that loads a model (the cuda module's). */
    @Mixin
    public GpuOptions gpu = new GpuOptions();

    /** Refuses what Kiln cannot do (a GPU: see {@link GpuOptions#check}) and values that mean nothing; call before any work. */
    public void check() {
        gpu.check();
        if (threadsBatch != null && threadsBatch < 1) throw new KilnException("-tb " + threadsBatch + " must be at least 1");
        attentionMaxBatch();
        if (fusedMoe != null && !List.of("0", "1", "on", "off").contains(fusedMoe.toLowerCase(Locale.ROOT))) {
            throw new KilnException("-fmoe '" + fusedMoe + "' is not 0, 1, on or off");
        }
        flashAttention();
    }

    /** -amb in MiB, or -1 when not given (the default bound); refuses what is not a whole number of MiB, 0 or more. */
    public int attentionMaxBatch() {
        if (attentionMaxBatch == null) return -1;
        try {
            int mib = Integer.parseInt(attentionMaxBatch.strip());
            if (mib >= 0) return mib;
        } catch (NumberFormatException e) {
            // refused below
        }
        throw new KilnException("-amb '" + attentionMaxBatch + "' is not a size in MiB: expected a whole number, 0 or more");
    }

    /** The flags given that change nothing in Kiln, as typed (for one note on stderr), or an empty list. */
    public List<String> ignoredGiven() {
        List<String> out = new ArrayList<>();
        if (flashAttn != null) out.add("-fa");
        if (fusedMoe != null) out.add("-fmoe");
        if (smartExpertReduction != null) out.add("-ser");
        if (threadsBatch != null) out.add("-tb");
        if (noMmap) out.add("--no-mmap");
        if (mlock) out.add("--mlock");
        out.addAll(gpu.ignoredGiven());
        return out;
    }

    /** Prints one line naming the llama.cpp flags given that Kiln ignores (nothing when there are none). */
    public void noteIgnored(java.io.PrintStream err, String command) {
        List<String> given = ignoredGiven();
        if (!given.isEmpty()) {
            err.println("kiln " + command + ": note: " + String.join(", ", given) + " accepted for llama.cpp compatibility and ignored"
                    + " (Kiln runs one CPU attention path and always maps the weights)");
        }
    }

    /** The -fa values as booleans (on when absent), for bench's records; refuses values that are not on/off/auto/1/0. */
    public List<Boolean> flashAttention() {
        List<Boolean> out = new ArrayList<>();
        for (String v : flashAttn == null ? List.of("on") : flashAttn) {
            switch (v.strip().toLowerCase(Locale.ROOT)) {
                case "on", "1", "true", "auto" -> out.add(true);
                case "off", "0", "false" -> out.add(false);
                default -> throw new KilnException("-fa '" + v + "' is not on, off, auto, 1 or 0");
            }
        }
        return out;
    }
}
