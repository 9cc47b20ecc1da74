package kiln.tensor.codec;

import kiln.tensor.GgmlType;
import kiln.tensor.Parallel;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufLayout;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.TensorInfo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test support for the fixtures' "produced but not included" quantized files: reads their recorded sha256 and tensor
 * list ({@code results/not_included_artifacts.json}, {@code results/gguf_inventory.json}) and rebuilds the bytes of
 * such a file the way llama-quantize writes it (spec §4.1: input KVs, then quantization_version and file_type moved
 * to the end, then the imatrix KVs; tensors in the recorded order, 32-byte alignment), with Kiln's codecs doing
 * the quantization. Only the tensor data come from the codecs under test; the layout is GgufLayout's.
 */
final class ReferenceFiles {
    private ReferenceFiles() {}

    record Recorded(long bytes, String sha256) {}

    record Planned(String name, GgmlType type, long[] ne) {}

    /** Bytes and sha256 of a not-included file, from {@code <model>/results/not_included_artifacts.json}. */
    static Recorded recorded(Path modelDir, String file) {
        String json = read(modelDir.resolve("results/not_included_artifacts.json"));
        Matcher m = Pattern.compile("\"file\":\\s*\"" + Pattern.quote(file)
                + "\",\\s*\"bytes\":\\s*(\\d+),\\s*\"sha256\":\\s*\"([0-9a-f]{64})\"").matcher(json);
        if (!m.find()) throw new IllegalStateException(file + " not in not_included_artifacts.json");
        return new Recorded(Long.parseLong(m.group(1)), m.group(2));
    }

    /** The recorded tensor list (order, type, shape) of a file, from {@code <model>/results/gguf_inventory.json}. */
    static List<Planned> inventoryTensors(Path modelDir, String file) {
        String json = read(modelDir.resolve("results/gguf_inventory.json"));
        int start = json.indexOf("\"" + file + "\":");
        if (start < 0) throw new IllegalStateException(file + " not in gguf_inventory.json");
        int tensors = json.indexOf("\"tensors\":", start);
        int end = json.indexOf("\n \"", start + 1); // the next file's entry (top-level keys are indented by one)
        Matcher m = Pattern.compile("\\{\\s*\"name\":\\s*\"([^\"]+)\",\\s*\"type\":\\s*\"([^\"]+)\",\\s*\"shape\":\\s*\\[([^\\]]*)\\]")
                .matcher(json).region(tensors, end < 0 ? json.length() : end);
        List<Planned> out = new ArrayList<>();
        while (m.find()) {
            String[] dims = m.group(3).split(",");
            long[] ne = new long[dims.length];
            for (int i = 0; i < dims.length; i++) ne[i] = Long.parseLong(dims[i].trim());
            out.add(new Planned(m.group(1), typeNamed(m.group(2)), ne));
        }
        return out;
    }

    /** The recorded KV key order of a file (gguf_inventory.json). */
    static List<String> inventoryKeys(Path modelDir, String file) {
        String json = read(modelDir.resolve("results/gguf_inventory.json"));
        int start = json.indexOf("\"" + file + "\":");
        int kv = json.indexOf("\"kv\":", start);
        int end = json.indexOf("\"tensors\":", kv);
        Matcher m = Pattern.compile("\"([A-Za-z0-9_.\\-]+)\":\\s").matcher(json).region(kv + 6, end);
        List<String> keys = new ArrayList<>();
        while (m.find()) keys.add(m.group(1));
        return keys;
    }

    /** The raw JSON text of one recorded KV value (gguf_inventory.json), e.g. {@code 16}. */
    static String inventoryKvValue(Path modelDir, String file, String key) {
        String json = read(modelDir.resolve("results/gguf_inventory.json"));
        int start = json.indexOf("\"" + file + "\":");
        Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":\\s*([^,}]+)").matcher(json);
        if (!m.find(start)) throw new IllegalStateException(key + " not recorded for " + file);
        return m.group(1).trim();
    }

    private static GgmlType typeNamed(String name) {
        for (GgmlType t : GgmlType.values()) if (t.ggmlName().equalsIgnoreCase(name)) return t;
        throw new IllegalArgumentException("unknown type " + name);
    }

    /** llama-quantize's output KVs (spec §4.1 step 4) for a single-file input and no overrides. */
    static GgufMetadata quantizedMetadata(GgufMetadata input, int ftype, Map<String, GgufValue> imatrixKvs) {
        GgufMetadata md = input.copy();
        md.setLast("general.quantization_version", GgufValue.ofU32(2));
        md.setLast("general.file_type", GgufValue.ofU32(ftype));
        for (var e : imatrixKvs.entrySet()) md.setLast(e.getKey(), e.getValue());
        return md;
    }

    static Map<String, GgufValue> imatrixKvs(String file, String dataset, int entries, int chunks) {
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("quantize.imatrix.file", GgufValue.ofString(file));
        kv.put("quantize.imatrix.dataset", GgufValue.ofString(dataset));
        kv.put("quantize.imatrix.entries_count", GgufValue.ofU32(entries));
        kv.put("quantize.imatrix.chunks_count", GgufValue.ofU32(chunks));
        return kv;
    }

    /** Builds the whole file in memory: header from GgufLayout, tensors copied or quantized from {@code in}. */
    static byte[] build(GgufFile in, GgufMetadata md, List<Planned> plan, Map<String, float[]> imatrix) {
        List<GgufLayout.Entry> entries = new ArrayList<>();
        for (Planned p : plan) entries.add(new GgufLayout.Entry(p.name(), p.type(), in.tensor(p.name()).ne()));
        GgufLayout layout = new GgufLayout(md, entries);
        byte[] file = new byte[Math.toIntExact(layout.fileSize())];
        byte[] header = layout.headerBytes();
        System.arraycopy(header, 0, file, 0, header.length);
        Parallel.forEach(plan.size(), Parallel.defaultThreads(), i -> {
            Planned p = plan.get((int) i);
            TensorInfo src = in.tensor(p.name());
            byte[] data;
            if (src.type() == p.type()) {
                data = FixtureQuant.bytes(in, src);
            } else {
                float[] w = p.name().equals("token_embd.weight") ? null : imatrix.get(p.name());
                data = FixtureQuant.quantizeTensor(in, src, p.type(), w);
            }
            System.arraycopy(data, 0, file, Math.toIntExact(layout.position((int) i)), data.length);
        });
        return file;
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A legacy-format imatrix (ik_llama.cpp's, spec §5.2 B) as llama-quantize uses it: value / ncall (ncall &gt; 0).
     */
    static Map<String, float[]> loadLegacyImatrix(Path path) {
        ByteBuffer b;
        try {
            b = ByteBuffer.wrap(Files.readAllBytes(path)).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Map<String, float[]> out = new LinkedHashMap<>();
        int n = b.getInt();
        for (int k = 0; k < n; k++) {
            byte[] name = new byte[b.getInt()];
            b.get(name);
            int ncall = b.getInt(), nval = b.getInt();
            float[] v = new float[nval];
            for (int i = 0; i < nval; i++) {
                float s = b.getFloat();
                v[i] = ncall > 0 ? s / (float) ncall : s;
            }
            out.put(new String(name, java.nio.charset.StandardCharsets.UTF_8), v);
        }
        return out;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
