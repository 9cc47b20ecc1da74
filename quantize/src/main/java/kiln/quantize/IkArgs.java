package kiln.quantize;

import kiln.tensor.KilnException;
import kiln.tensor.codec.Flavor;
import picocli.CommandLine.Option;

import java.util.ArrayList;
import java.util.List;

/**
 * ik_llama.cpp's own llama-quantize options on {@code kiln quantize}. The type choices ({@link IkOptions}) are
 * reproduced; the options that change bytes in ways Kiln does not reproduce are accepted with {@code --dry-run} (they
 * do not change the type choice) and refused, in one line, before anything is written.
 */
final class IkArgs {

    @Option(names = "--attn-q-type", paramLabel = "TYPE", description = "type of the attn_q tensors (ik; inside the mix rules)")
    String attnQ;
    @Option(names = "--attn-k-type", paramLabel = "TYPE", description = "type of the attn_k tensors (ik; DeepSeek's attn_kv_a_mqa, attn_kv_b, attn_k_b too)")
    String attnK;
    @Option(names = "--attn-v-type", paramLabel = "TYPE", description = "type of the attn_v tensors (ik)")
    String attnV;
    @Option(names = "--attn-qkv-type", paramLabel = "TYPE", description = "type of the attn_qkv tensors (ik)")
    String attnQkv;
    @Option(names = "--attn-output-type", paramLabel = "TYPE", description = "type of the attn_output tensors (ik)")
    String attnOutput;
    @Option(names = "--ffn-gate-type", paramLabel = "TYPE", description = "type of the ffn_gate tensors (ik)")
    String ffnGate;
    @Option(names = "--ffn-down-type", paramLabel = "TYPE", description = "type of the ffn_down tensors (ik)")
    String ffnDown;
    @Option(names = "--ffn-up-type", paramLabel = "TYPE", description = "type of the ffn_up tensors (ik)")
    String ffnUp;
    @Option(names = "--ffn-gate-inp-type", paramLabel = "TYPE", description = "quantize the expert routers (ffn_gate_inp) to TYPE (ik; else they are kept)")
    String ffnGateInp;
    @Option(names = "--per-layer-token-embedding-type", paramLabel = "TYPE", description = "type of per_layer_token_embd.weight (ik)")
    String perLayerTokenEmbd;
    @Option(names = "--ignore-imatrix-rules", description = "do not refuse very-low-bit types without importance data (ik); quantizers that cannot run without it are still refused")
    boolean ignoreImatrixRules;

    @Option(names = "--keep-split", description = "write the output in the input's shards, named PREFIX-0000i-of-0000N.gguf (ik)")
    boolean keepSplit;
    @Option(names = "--partial-requant", description = "not supported (ik: with --keep-split, write only the missing split files)")
    boolean partialRequant;
    @Option(names = "--extra-output-tensor", paramLabel = "TYPE", description = "not supported (ik: add output_extra.weight of TYPE)")
    String extraOutputTensor;
    @Option(names = "--repack", description = "not here: ik's offline repack is kiln repack IN OUT")
    boolean repack;
    @Option(names = "--repack-pattern", paramLabel = "RE,...", description = "not here: kiln repack --repack-pattern RE,...")
    String repackPattern;
    @Option(names = "--symmetric-q40", description = "ik's [-7,7] Q4_0: accepted with --dry-run only (Kiln does not write it)")
    boolean symmetricQ40;
    @Option(names = "--slow-iq2ks", description = "ik's original IQ2_KS search: accepted with --dry-run only (Kiln does not write it)")
    boolean slowIq2ks;

    /** The type-choice options, parsed. */
    IkOptions options() {
        return new IkOptions(QuantizeCommand.type(attnQ), QuantizeCommand.type(attnK), QuantizeCommand.type(attnV),
                QuantizeCommand.type(attnQkv), QuantizeCommand.type(attnOutput), QuantizeCommand.type(ffnGate),
                QuantizeCommand.type(ffnDown), QuantizeCommand.type(ffnUp), QuantizeCommand.type(ffnGateInp),
                QuantizeCommand.type(perLayerTokenEmbd), ignoreImatrixRules);
    }

    /** Options Kiln does not implement at all, and ik's options given to the mainline flavour. */
    void refuseUnsupported(Flavor flavor) {
        if (partialRequant) throw new KilnException("--partial-requant is not supported (Kiln always writes every split file)");
        if (repack || repackPattern != null) {
            throw new KilnException("--repack/--repack-pattern: ik's offline repack is its own command in Kiln: kiln repack [--repack-pattern RE,...] IN.gguf OUT.gguf");
        }
        if (extraOutputTensor != null) throw new KilnException("--extra-output-tensor is not supported (Kiln does not add output_extra.weight)");
        if (flavor == Flavor.MAINLINE) {
            List<String> given = given();
            if (!given.isEmpty()) throw new KilnException(String.join(", ", given) + ": ik_llama.cpp's option, not llama.cpp's: add --flavor ik");
        }
    }

    /** Byte-changing options Kiln only plans with (--dry-run), refused before writing. */
    void refuseUnreproducedAtWriteTime() {
        if (symmetricQ40) throw new KilnException("--symmetric-q40 is accepted with --dry-run only: Kiln does not write ik's [-7,7] Q4_0 yet");
        if (slowIq2ks) throw new KilnException("--slow-iq2ks is accepted with --dry-run only: Kiln does not write ik's original IQ2_KS search yet");
    }

    private List<String> given() {
        List<String> g = new ArrayList<>();
        if (attnQ != null) g.add("--attn-q-type");
        if (attnK != null) g.add("--attn-k-type");
        if (attnV != null) g.add("--attn-v-type");
        if (attnQkv != null) g.add("--attn-qkv-type");
        if (attnOutput != null) g.add("--attn-output-type");
        if (ffnGate != null) g.add("--ffn-gate-type");
        if (ffnDown != null) g.add("--ffn-down-type");
        if (ffnUp != null) g.add("--ffn-up-type");
        if (ffnGateInp != null) g.add("--ffn-gate-inp-type");
        if (perLayerTokenEmbd != null) g.add("--per-layer-token-embedding-type");
        if (ignoreImatrixRules) g.add("--ignore-imatrix-rules");
        if (keepSplit) g.add("--keep-split");
        if (symmetricQ40) g.add("--symmetric-q40");
        if (slowIq2ks) g.add("--slow-iq2ks");
        return g;
    }
}
