package kiln.validate;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import kiln.tensor.GgmlType;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.TensorInfo;

import java.io.PrintWriter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** What {@code kiln inspect} shows: header, metadata, tensor table, totals by type, parameters, bits per weight. */
final class InspectReport {
    private InspectReport() {}

    record TypeTotal(int tensors, long params, long bytes) {}

    static Map<GgmlType, TypeTotal> totals(GgufFile f) {
        Map<GgmlType, TypeTotal> m = new LinkedHashMap<>();
        for (TensorInfo t : f.tensors()) {
            m.merge(t.type(), new TypeTotal(1, t.elementCount(), t.byteSize()),
                    (a, b) -> new TypeTotal(a.tensors + b.tensors, a.params + b.params, a.bytes + b.bytes));
        }
        return m;
    }

    static long params(GgufFile f) {
        long n = 0;
        for (TensorInfo t : f.tensors()) n += t.elementCount();
        return n;
    }

    static double bitsPerWeight(long bytes, long params) {
        return params == 0 ? 0 : 8.0 * bytes / params;
    }

    /** File position of a tensor's first byte (in its shard). */
    static long fileOffset(GgufFile f, TensorInfo t) {
        return f.shards().get(t.shard()).dataOffset() + t.offset();
    }

    static long fileSize(GgufFile f) {
        long n = 0;
        for (var s : f.shards()) n += s.mapping().byteSize();
        return n;
    }

    static ObjectNode json(GgufFile f) {
        ObjectNode o = Json.object();
        o.put("file", f.path().toString());
        o.put("version", f.version());
        o.put("alignment", f.alignment());
        o.put("data_offset", f.shards().getFirst().dataOffset());
        o.put("file_size", fileSize(f));
        ArrayNode shards = o.putArray("shards");
        for (var s : f.shards()) shards.add(s.path().toString());
        o.put("architecture", f.metadata().architecture() == null ? null : f.metadata().architecture());
        o.put("metadata_count", f.metadata().size());
        GgufValue ft = f.metadata().get("general.file_type");
        if (ft != null && ft.isInteger()) {
            ObjectNode j = o.putObject("file_type");
            j.put("value", ft.asLong());
            j.put("llama.cpp", kiln.tensor.FileType.mainlineName(ft.asLong()));
            j.put("ik_llama.cpp", kiln.tensor.FileType.ikName(ft.asLong()));
        }
        o.put("tensor_count", f.tensors().size());
        ObjectNode md = o.putObject("metadata");
        for (var e : f.metadata().asMap().entrySet()) {
            ObjectNode kv = md.putObject(e.getKey());
            GgufValue v = e.getValue();
            kv.put("type", v.type().shortName() + (v.isArray() ? "[" + v.elementType().shortName() + "]" : ""));
            kv.set("value", Json.value(v));
        }
        ArrayNode ts = o.putArray("tensors");
        for (TensorInfo t : f.tensors()) {
            ObjectNode j = ts.addObject();
            j.put("name", t.name());
            j.put("type", t.type().ggmlName());
            ArrayNode shape = j.putArray("shape");
            for (long d : t.ne()) shape.add(d);
            j.put("elements", t.elementCount());
            j.put("bytes", t.byteSize());
            j.put("offset", fileOffset(f, t));
            if (f.shards().size() > 1) j.put("shard", t.shard());
        }
        ObjectNode totals = o.putObject("totals_by_type");
        for (var e : totals(f).entrySet()) {
            ObjectNode j = totals.putObject(e.getKey().ggmlName());
            j.put("tensors", e.getValue().tensors());
            j.put("parameters", e.getValue().params());
            j.put("bytes", e.getValue().bytes());
            j.put("bits_per_weight", round(bitsPerWeight(e.getValue().bytes(), e.getValue().params())));
        }
        long params = params(f);
        o.put("parameters", params);
        o.put("tensor_bytes", f.tensorBytes());
        o.put("bits_per_weight", round(bitsPerWeight(f.tensorBytes(), params)));
        return o;
    }

    private static double round(double v) {
        return Math.round(v * 1e4) / 1e4;
    }

    static void text(GgufFile f, PrintWriter out) {
        out.printf(Locale.ROOT, "%s%n", f.path());
        out.printf(Locale.ROOT, "  GGUF v%d, alignment %d, data section at byte %d, %s in %d file%s%n", f.version(), f.alignment(),
                f.shards().getFirst().dataOffset(), withSep(fileSize(f)) + " bytes", f.shards().size(), f.shards().size() == 1 ? "" : "s");
        out.printf(Locale.ROOT, "  architecture %s, %d metadata keys, %d tensors%n",
                f.metadata().architecture() == null ? "(none)" : f.metadata().architecture(), f.metadata().size(), f.tensors().size());
        out.println();
        out.println("metadata:");
        int kw = 0;
        for (String k : f.metadata().keys()) kw = Math.max(kw, k.length());
        for (var e : f.metadata().asMap().entrySet()) {
            GgufValue v = e.getValue();
            String type = v.type().shortName() + (v.isArray() ? "[" + v.elementType().shortName() + "]" : "");
            out.printf(Locale.ROOT, "  %-" + kw + "s  %-9s %s%s%n", e.getKey(), type, v.render(8),
                    e.getKey().equals("general.file_type") ? fileTypeNote(v) : "");
        }
        out.println();
        out.println("tensors:");
        int nw = 4;
        for (TensorInfo t : f.tensors()) nw = Math.max(nw, t.name().length());
        out.printf(Locale.ROOT, "  %-" + nw + "s  %-10s %-22s %14s %14s%n", "name", "type", "shape (ne)", "bytes", "offset");
        for (TensorInfo t : f.tensors()) {
            out.printf(Locale.ROOT, "  %-" + nw + "s  %-10s %-22s %14d %14d%n", t.name(), t.type().ggmlName(), t.shapeString(),
                    t.byteSize(), fileOffset(f, t));
        }
        out.println();
        out.println("totals by type:");
        for (var e : totals(f).entrySet()) {
            TypeTotal tt = e.getValue();
            out.printf(Locale.ROOT, "  %-10s %5d tensors %16s params %16s bytes %7.3f bpw%n", e.getKey().ggmlName(), tt.tensors(),
                    withSep(tt.params()), withSep(tt.bytes()), bitsPerWeight(tt.bytes(), tt.params()));
        }
        long params = params(f);
        out.printf(Locale.ROOT, "parameters: %s, tensor data: %s bytes, %.3f bits per weight%n", withSep(params),
                withSep(f.tensorBytes()), bitsPerWeight(f.tensorBytes(), params));
    }

    /** general.file_type means different things in the two tools above 30 (spec ik-llama-formats.md §2.2). */
    static String fileTypeNote(GgufValue v) {
        if (!v.isInteger()) return "  (not an integer: no file type)";
        long ft = v.asLong();
        String ml = kiln.tensor.FileType.mainlineName(ft);
        String ik = kiln.tensor.FileType.ikName(ft);
        if (ml == null && ik == null) return "  (unknown file type)";
        if (ml != null && ml.equals(ik)) return "  (" + ml + ")";
        return "  (llama.cpp: " + (ml == null ? "unknown" : ml) + ", ik_llama.cpp: " + (ik == null ? "unknown" : ik) + ")";
    }

    static String withSep(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }
}
