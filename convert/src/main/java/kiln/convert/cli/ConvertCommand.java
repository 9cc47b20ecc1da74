package kiln.convert.cli;

import kiln.convert.Converter;
import kiln.tensor.gguf.MlaLayout;
import kiln.convert.relayout.Relayout;
import kiln.convert.write.OutType;
import kiln.convert.write.QuantizeSpec;
import kiln.convert.write.QuantizingSink;
import kiln.convert.write.SplitPlan;
import kiln.tensor.KilnException;
import kiln.tensor.Parallel;
import kiln.tensor.cli.KilnSubcommand;
import kiln.tensor.gguf.GgufFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code kiln convert}: HuggingFace checkpoint → GGUF, or an existing DeepSeek GGUF → another MLA layout. */
@Command(name = "convert", mixinStandardHelpOptions = true,
        description = {"Convert a HuggingFace checkpoint (safetensors bf16/f16/f32/FP8, DeepSeek-V2/V3/R1 or Llama) to GGUF,",
                "or re-layout a DeepSeek GGUF between the ik and mainline MLA layouts (lossless)."})
public final class ConvertCommand implements Callable<Integer>, KilnSubcommand {
    @Parameters(index = "0", paramLabel = "INPUT", description = "HuggingFace model folder (or archive), or a .gguf file to re-layout")
    Path input;

    @Option(names = {"-o", "--outfile"}, required = true, paramLabel = "OUT.gguf", description = "output file")
    Path output;

    @Option(names = "--outtype", defaultValue = "auto", paramLabel = "TYPE",
            description = {"f32, f16, bf16, q8_0 or auto (bf16/f16 from the checkpoint; default: ${DEFAULT-VALUE}),",
                    "or any kiln quantize type (Q4_K_M, IQ4_XS, Q6_K, Q4_K_R4, ...): quantize while converting, the same bytes as",
                    "--outtype bf16 followed by kiln quantize, with no 16-bit file on disk"})
    String outType;

    @Option(names = "--imatrix", paramLabel = "FILE", description = "quantization --outtype: importance matrix (legacy .dat or GGUF imatrix)")
    Path imatrix;

    @Option(names = "--flavor", paramLabel = "mainline|ik",
            description = "quantization --outtype: whose quantize rules and bytes (default: ik for an ik-layout DeepSeek output, else mainline)")
    String flavor;

    @Option(names = "--pure", description = "quantization --outtype: no mixes, as kiln quantize --pure")
    boolean pure;

    @Option(names = "--output-tensor-type", paramLabel = "TYPE", description = "quantization --outtype: type of output.weight (ggml type name)")
    String outputTensorType;

    @Option(names = "--token-embedding-type", paramLabel = "TYPE", description = "quantization --outtype: type of token_embd.weight")
    String tokenEmbeddingType;

    @Option(names = "--tensor-type", paramLabel = "REGEX=TYPE", description = "quantization --outtype: type for matching tensors (repeatable)")
    List<String> tensorTypes = new java.util.ArrayList<>();

    @Option(names = "--leave-output-tensor", description = "quantization --outtype: keep output.weight unquantized")
    boolean leaveOutputTensor;

    @Option(names = "--mla-layout", paramLabel = "LAYOUT",
            description = "DeepSeek attention layout: ik (default for HF input: attn_kv_b + 2-D attn_k_b/attn_v_b, as ik_llama.cpp), "
                    + "mainline (3-D attn_k_b/attn_v_b, as llama.cpp) or legacy (attn_kv_b only)")
    String layout;

    @Option(names = "--expert-groups", description = "ik layout: also write expert_group_count/expert_group_used_count (deviates from ik's bytes)")
    boolean expertGroups;

    @Option(names = "--vocab-pre", paramLabel = "NAME", description = "tokenizer.ggml.pre to write instead of the one recognised from tokenizer.json")
    String vocabPre;

    @Option(names = "--split-max-size", paramLabel = "N", description = "split the output into files of at most N bytes (K/M/G = 10^3/10^6/10^9)")
    String splitMaxSize;

    @Option(names = {"-t", "--threads"}, paramLabel = "N", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--allow-nonfinite", description = "write NaN and infinite weights as they are, with a warning per tensor "
            + "(default: refuse the first one in one line; a quantization --outtype always refuses them)")
    boolean allowNonFinite;

    @picocli.CommandLine.Mixin
    kiln.tensor.cli.ChecksumsOption checksums = new kiln.tensor.cli.ChecksumsOption();

    @Option(names = "--no-progress", description = "no progress line even on a terminal")
    boolean noProgress;

    @Override
    public Integer call() {
        int n = threads == null ? Parallel.defaultThreads() : threads;
        if (n < 1) throw new KilnException("--threads: must be at least 1");
        if (Files.isDirectory(output)) throw new KilnException(output + ": is a folder; -o needs a file name (OUT.gguf)");
        long split = splitMaxSize == null ? 0 : SplitPlan.parseSize(splitMaxSize);
        OutType converterType = OutType.find(outType);
        QuantizeSpec quantize = null;
        if (converterType == null) {
            if (!QuantizingSink.isQuantizeType(outType)) {
                throw new KilnException("--outtype: unknown type '" + outType + "' (expected f32, f16, bf16, q8_0, auto or a kiln quantize type: "
                        + String.join(", ", QuantizingSink.quantizeTypeNames()) + ")");
            }
            quantize = new QuantizeSpec(outType, flavor, imatrix, imatrix == null ? null : imatrix.toString(), pure, outputTensorType,
                    tokenEmbeddingType, tensorTypes, leaveOutputTensor);
        } else if (imatrix != null || flavor != null || pure || outputTensorType != null || tokenEmbeddingType != null
                || !tensorTypes.isEmpty() || leaveOutputTensor) {
            throw new KilnException("--imatrix, --flavor, --pure, --output-tensor-type, --token-embedding-type, --tensor-type and "
                    + "--leave-output-tensor need a quantization --outtype (Q4_K_M, IQ4_XS, ...), not '" + outType + "'");
        }
        if (Files.isRegularFile(input) && GgufFile.looksLikeGguf(input)) {
            if (layout == null) throw new KilnException(input + ": re-layout of a GGUF needs --mla-layout mainline, ik or legacy");
            if (!outType.equalsIgnoreCase("auto") || expertGroups || vocabPre != null) {
                throw new KilnException(input + ": --outtype, --expert-groups and --vocab-pre apply to HuggingFace input, not to a GGUF re-layout");
            }
            List<Path> relaid = Relayout.run(input, output, MlaLayout.parse(layout), split, n, !noProgress);
            for (Path p : relaid) System.err.println("wrote " + p);
            checksums.afterWrite(relaid.getFirst(), n);
            return 0;
        }
        List<Path> written = Converter.convert(new Converter.Options(input, output, converterType == null ? OutType.BF16 : converterType,
                layout == null ? MlaLayout.IK : MlaLayout.parse(layout), expertGroups, vocabPre, split, n, !noProgress, quantize, allowNonFinite));
        for (Path p : written) System.err.println("wrote " + p);
        checksums.afterWrite(written.getFirst(), n);
        return 0;
    }
}
