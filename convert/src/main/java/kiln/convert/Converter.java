package kiln.convert;

import com.fasterxml.jackson.databind.JsonNode;
import kiln.convert.arch.Architecture;
import kiln.convert.arch.DeepseekArch;
import kiln.convert.arch.Input;
import kiln.convert.arch.LlamaArch;
import kiln.convert.arch.Mapped;
import kiln.tensor.gguf.MlaLayout;
import kiln.convert.hf.JsonDoc;
import kiln.convert.source.HfSource;
import kiln.convert.source.HfSources;
import kiln.convert.source.SourceTensor;
import kiln.convert.tensors.SourceData;
import kiln.convert.tokenizer.TokenizerKeys;
import kiln.convert.write.GgufSink;
import kiln.convert.write.ModelNaming;
import kiln.convert.write.OutType;
import kiln.convert.write.PlannedTensor;
import kiln.convert.write.QuantizeSpec;
import kiln.convert.write.NonFiniteValues;
import kiln.convert.write.QuantizingSink;
import kiln.convert.write.TypePolicy;
import kiln.quantize.QuantizePlan;
import kiln.tensor.KilnException;
import kiln.tensor.cli.Progress;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** HuggingFace checkpoint → GGUF, as llama.cpp's or ik_llama.cpp's convert_hf_to_gguf.py would write it. */
public final class Converter {
    private Converter() {}

    /**
     * @param quantize one-pass quantization (then {@code outType} is ignored: the tensors are planned as for BF16 and
     *                 quantized from those values), or null
     */
    public record Options(Path input, Path output, OutType outType, MlaLayout layout, boolean expertGroups, String vocabPre,
                          long splitMaxSize, int threads, boolean progress, QuantizeSpec quantize, boolean allowNonFinite) {
        public Options(Path input, Path output, OutType outType, MlaLayout layout, boolean expertGroups, String vocabPre,
                       long splitMaxSize, int threads, boolean progress) {
            this(input, output, outType, layout, expertGroups, vocabPre, splitMaxSize, threads, progress, null, false);
        }
    }

    /** Converts and returns the files written. */
    public static List<Path> convert(Options o) {
        try (HfSource src = HfSources.open(o.input())) {
            JsonDoc config = JsonDoc.parse(src.describe() + "/config.json", src.file("config.json")
                    .orElseThrow(() -> new KilnException(src.describe() + ": no config.json")));
            Map<String, Input> inputs = inputs(src, config);
            Architecture arch = architecture(src.describe(), config, inputs, o);
            arch.check(inputs);
            List<Mapped> mapped = arch.map(new ArrayList<>(inputs.values()));
            boolean ikConverter = arch instanceof DeepseekArch && o.layout() != MlaLayout.MAINLINE;
            if (o.quantize() != null && o.splitMaxSize() > 0) {
                throw new KilnException("--split-max-size cannot be combined with a quantization --outtype (" + o.quantize().type()
                        + "); kiln quantize writes one file too");
            }
            // one-pass quantization quantizes what the BF16 conversion would have written
            OutType out = o.quantize() != null ? OutType.BF16
                    : o.outType() != OutType.AUTO ? o.outType() : ikConverter ? autoIk(inputs) : auto(inputs);
            List<PlannedTensor> planned = new ArrayList<>();
            for (Mapped m : mapped) planned.add(TypePolicy.plan(m, out));

            GgufMetadata meta = new GgufMetadata(o.output().toString());
            meta.put("general.architecture", GgufValue.ofString(arch.name()));
            meta.put("general.type", GgufValue.ofString("model"));
            meta.put("general.name", GgufValue.ofString(ModelNaming.title(modelId(o.input()))));
            meta.put("general.size_label", GgufValue.ofString(ModelNaming.sizeLabel(planned)));
            arch.writeKeys(meta, out.fileType);
            if (!arch.quantVersionLast()) meta.put("general.quantization_version", GgufValue.ofU32(2));
            TokenizerKeys.write(meta, src, config, o.vocabPre());
            if (arch.quantVersionLast()) meta.put("general.quantization_version", GgufValue.ofU32(2));

            if (o.quantize() != null) return List.of(quantized(o, meta, planned));

            long total = 0;
            for (PlannedTensor p : planned) total += p.byteSize();
            Progress progress = o.progress() ? new Progress("convert", planned.size(), total)
                    : new Progress("convert", planned.size(), total, false, System.err);
            NonFiniteValues nonFinite = o.allowNonFinite() ? NonFiniteValues.allowed() : NonFiniteValues.refused();
            List<Path> written = GgufSink.write(o.output(), meta, planned, o.splitMaxSize(), o.threads(), progress, nonFinite);
            for (String w : nonFinite.warnings()) System.err.println("kiln convert: " + w);
            return written;
        }
    }

    /** One pass: the quantize plan of the bf16 file these tensors and metadata make, executed from the tensors' values. */
    private static Path quantized(Options o, GgufMetadata meta, List<PlannedTensor> planned) {
        QuantizePlan plan = QuantizingSink.plan(meta, planned, o.quantize(), o.threads());
        long total = 0;
        for (PlannedTensor p : planned) total += p.byteSize();
        String what = "convert+quantize " + plan.options().ftype().name();
        Progress progress = o.progress() ? new Progress(what, planned.size(), total) : new Progress(what, planned.size(), total, false, System.err);
        Path written = QuantizingSink.write(o.output(), plan, planned, o.threads(), progress);
        StringBuilder counts = new StringBuilder();
        for (Map.Entry<kiln.tensor.GgmlType, Integer> e : plan.typeCounts().entrySet()) {
            counts.append(counts.isEmpty() ? "" : ", ").append(e.getKey().ggmlName()).append(':').append(e.getValue());
        }
        System.err.printf(java.util.Locale.ROOT, "%s (%s flavour, %d tensors, %s): %s%n", plan.options().ftype().name(),
                plan.options().flavor().name().toLowerCase(java.util.Locale.ROOT), plan.items().size(),
                Progress.human(plan.layout().fileSize()), counts);
        return written;
    }

    private static String modelId(Path input) {
        String n = input.toAbsolutePath().normalize().getFileName().toString();
        for (String ext : new String[]{".tar.gz", ".tgz", ".tar", ".zip"}) {
            if (n.toLowerCase(java.util.Locale.ROOT).endsWith(ext)) return n.substring(0, n.length() - ext.length());
        }
        return n;
    }

    private static Architecture architecture(String source, JsonDoc config, Map<String, Input> inputs, Options o) {
        JsonNode archs = config.get("architectures");
        if (archs == null || !archs.isArray() || archs.isEmpty() || !archs.get(0).isTextual()) {
            throw new KilnException(config.file() + ": missing key 'architectures'");
        }
        String a = archs.get(0).asText();
        return switch (a) {
            case "DeepseekV2ForCausalLM", "DeepseekV3ForCausalLM" -> new DeepseekArch(source, config, inputs, o.layout(), o.expertGroups());
            case "LlamaForCausalLM" -> new LlamaArch(source, config);
            default -> throw new KilnException(config.file() + ": unknown architecture '" + a
                    + "' (Kiln converts DeepseekV2ForCausalLM, DeepseekV3ForCausalLM, LlamaForCausalLM)");
        };
    }

    /** Checkpoint tensors in order, FP8 weights paired with their block scales (scale tensors removed). */
    static Map<String, Input> inputs(HfSource src, JsonDoc config) {
        JsonDoc q = config.child("quantization_config");
        boolean fp8 = q != null && "fp8".equals(q.optString("quant_method"));
        long bh = 128, bw = 128;
        if (fp8 && q.get("weight_block_size") != null) {
            JsonNode b = q.get("weight_block_size");
            if (!b.isArray() || b.size() != 2) throw new KilnException(config.file() + ": quantization_config.weight_block_size must be [rows, cols]");
            bh = b.get(0).asLong();
            bw = b.get(1).asLong();
        }
        Map<String, SourceTensor> byName = new LinkedHashMap<>();
        for (SourceTensor t : src.tensors()) byName.put(t.name(), t);
        Map<String, Input> out = new LinkedHashMap<>();
        for (SourceTensor t : src.tensors()) {
            String n = t.name();
            if (fp8 && (n.endsWith("_scale_inv") && byName.containsKey(n.substring(0, n.length() - "_scale_inv".length()))
                    || n.endsWith(".activation_scale"))) continue;
            SourceData data;
            if (t.dtype().equals("F8_E4M3")) {
                SourceTensor s = byName.get(n + "_scale_inv");
                if (!fp8) throw new KilnException(src.describe() + ": tensor '" + n + "' is F8_E4M3 but config.json has no quantization_config with quant_method fp8");
                if (s == null) throw new KilnException(src.describe() + ": tensor '" + n + "' is F8_E4M3 but '" + n + "_scale_inv' is missing");
                data = SourceData.fp8(t, s, bh, bw);
            } else if (fp8 && byName.containsKey(n + "_scale_inv")) {
                throw new KilnException(src.describe() + ": tensor '" + n + "' has a _scale_inv but is " + t.dtype() + ", expected F8_E4M3");
            } else {
                data = SourceData.of(t);
            }
            out.put(n, new Input(n, data, t.shape(), t.dtype()));
        }
        return out;
    }

    /** --outtype auto as ik_llama.cpp: F16 when the first checkpoint tensor is F16, else BF16. */
    static OutType autoIk(Map<String, Input> inputs) {
        for (Input in : inputs.values()) return in.dtype().equals("F16") ? OutType.F16 : OutType.BF16;
        return OutType.BF16;
    }

    /** --outtype auto as llama.cpp: the first ≥2-D BF16 or F16 tensor decides (FP8/F32 skipped); F16 when none. */
    static OutType auto(Map<String, Input> inputs) {
        for (Input in : inputs.values()) {
            if (in.shape().length < 2) continue;
            if (in.dtype().equals("BF16")) return OutType.BF16;
            if (in.dtype().equals("F16")) return OutType.F16;
        }
        return OutType.F16;
    }
}
