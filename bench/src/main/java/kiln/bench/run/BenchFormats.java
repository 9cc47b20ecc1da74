package kiln.bench.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * llama-bench's output formats for Kiln's results: the same field names (those Kiln has) in llama-bench's order,
 * plus {@code bandwidth_gbs} and {@code roofline_pct} on generation rows. md, csv, json (llama-bench's layout) and
 * jsonl (one object per line, as mainline's llama-bench).
 */
public final class BenchFormats {
    private BenchFormats() {}

    private static final ObjectMapper OM = new ObjectMapper();

    /** Field name → value, in llama-bench's order. */
    public static Map<String, Object> fields(BenchResult r) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("build_commit", "kiln");
        f.put("build_number", 0);
        f.put("cpu_info", CpuInfo.name());
        f.put("gpu_info", "");
        f.put("backends", "CPU");
        f.put("model_filename", r.modelFile());
        f.put("model_type", r.modelType());
        f.put("model_size", r.modelSize());
        f.put("model_n_params", r.modelParams());
        f.put("n_batch", r.params().nBatch());
        f.put("n_ubatch", r.params().nUbatch());
        f.put("n_threads", r.params().threads());
        f.put("type_k", r.params().typeK());
        f.put("type_v", r.params().typeV());
        f.put("n_gpu_layers", r.params().nGpuLayers());
        f.put("flash_attn", r.params().flashAttn());
        f.put("mla_attn", r.params().mla());
        f.put("repack", r.params().repack());
        f.put("use_mmap", true);
        f.put("override_tensor", r.params().overrideTensor());
        f.put("n_prompt", r.nPrompt());
        f.put("n_gen", r.nGen());
        f.put("n_depth", r.nDepth());
        f.put("test_time", r.testTime());
        f.put("avg_ns", Math.round(r.avgNs()));
        f.put("stddev_ns", Math.round(r.stddevNs()));
        f.put("avg_ts", r.avgTs());
        f.put("stddev_ts", r.stddevTs());
        f.put("test", r.test());
        if (r.hasRoofline()) {
            f.put("bandwidth_gbs", r.bandwidthGbs());
            f.put("active_bytes_per_token", r.activeBytesPerToken());
            f.put("roofline_pct", r.rooflinePct());
        }
        return f;
    }

    public static ObjectNode json(BenchResult r) {
        ObjectNode o = OM.createObjectNode();
        for (var e : fields(r).entrySet()) o.putPOJO(e.getKey(), e.getValue());
        ArrayNode ns = o.putArray("samples_ns");
        r.samplesNs().forEach(ns::add);
        ArrayNode ts = o.putArray("samples_ts");
        r.samplesTs().forEach(ts::add);
        return o;
    }

    public static String jsonl(BenchResult r) {
        return json(r).toString();
    }

    public static String jsonArray(List<BenchResult> rs) {
        StringBuilder sb = new StringBuilder("[\n");
        for (int i = 0; i < rs.size(); i++) {
            try {
                String obj = OM.writerWithDefaultPrettyPrinter().writeValueAsString(json(rs.get(i)));
                sb.append(obj.indent(2).stripTrailing());
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            sb.append(i + 1 < rs.size() ? ",\n" : "\n");
        }
        return sb.append("]\n").toString();
    }

    public static String csvHeader(BenchResult first) {
        return String.join(",", fields(first).keySet());
    }

    public static String csv(BenchResult r) {
        List<String> cells = new ArrayList<>();
        for (Object v : fields(r).values()) cells.add("\"" + String.valueOf(v).replace("\"", "\"\"") + "\"");
        return String.join(",", cells);
    }

    /**
     * llama-bench's markdown table: model, size, params, backend, threads, ngl, [ot when any row has rules], mla, ctk,
     * rtr, test, t/s.
     */
    public static String markdown(List<BenchResult> rs) {
        StringBuilder sb = new StringBuilder();
        boolean ot = rs.stream().anyMatch(r -> !r.params().overrideTensor().isEmpty());
        String otHead = ot ? String.format(Locale.ROOT, " %-24s |", "ot") : "", otRule = ot ? " ------------------------ |" : "";
        sb.append(String.format(Locale.ROOT, "| %-30s | %10s | %10s | %-7s | %7s | %3s |%s %3s | %5s | %3s | %16s | %20s | %8s |%n",
                "model", "size", "params", "backend", "threads", "ngl", otHead, "mla", "ctk", "rtr", "test", "t/s", "roofline"));
        sb.append("| ------------------------------ | ---------: | ---------: | ------- | ------: | --: |" + otRule + " --: | ----: | --: | ---------------: | -------------------: | -------: |\n");
        for (BenchResult r : rs) {
            String otCell = ot ? String.format(Locale.ROOT, " %-24s |", r.params().overrideTensor()) : "";
            sb.append(String.format(Locale.ROOT, "| %-30s | %10s | %10s | %-7s | %7d | %3d |%s %3d | %5s | %3d | %16s | %20s | %8s |%n",
                    r.modelType(), size(r.modelSize()), params(r.modelParams()), "CPU", r.params().threads(), r.params().nGpuLayers(), otCell,
                    r.params().mla(), r.params().typeK(), r.params().repack() ? 1 : 0, r.test(),
                    String.format(Locale.ROOT, "%.2f ± %.2f", r.avgTs(), r.stddevTs()),
                    r.hasRoofline() ? String.format(Locale.ROOT, "%.1f %%", r.rooflinePct()) : ""));
        }
        return sb.toString();
    }

    static String size(long bytes) {
        return bytes >= (1L << 30) ? String.format(Locale.ROOT, "%.2f GiB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%.2f MiB", bytes / (double) (1L << 20));
    }

    static String params(long n) {
        return n >= 1_000_000_000L ? String.format(Locale.ROOT, "%.2f B", n / 1e9) : String.format(Locale.ROOT, "%.2f M", n / 1e6);
    }
}
