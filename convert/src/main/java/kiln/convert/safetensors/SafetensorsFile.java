package kiln.convert.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.convert.source.SourceTensor;
import kiln.tensor.KilnException;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One {@code .safetensors} file mapped with FFM: an 8-byte little-endian header length, a JSON header
 * ({@code name → {dtype, shape, data_offsets}}), then the data. Every tensor is checked on open: known dtype,
 * shape × dtype size equal to its byte length, inside the file, no two tensors overlapping, a sane header size.
 */
public final class SafetensorsFile {
    /** Headers above this are refused (the format's own reader caps them at 100 MB). */
    static final long MAX_HEADER = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path path;
    private final Map<String, Tensor> tensors;

    /** A tensor of this file: a zero-copy slice of the mapping. */
    public record Tensor(String name, String dtype, long[] shape, MemorySegment data) implements SourceTensor {
        @Override
        public long[] shape() {
            return shape.clone();
        }
    }

    private SafetensorsFile(Path path, Map<String, Tensor> tensors) {
        this.path = path;
        this.tensors = tensors;
    }

    /** Maps and validates the file; the mapping lives as long as {@code arena}. */
    public static SafetensorsFile open(Path path, Arena arena) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) throw bad(path, "file is " + size + " bytes, too short for a safetensors header");
            MemorySegment map = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLen = map.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            if (headerLen <= 0 || headerLen > MAX_HEADER) {
                throw bad(path, "header length " + headerLen + " is not sane (expected 1.." + MAX_HEADER + " bytes)");
            }
            if (8 + headerLen > size) {
                throw bad(path, "header of " + headerLen + " bytes runs past the end of the " + size + "-byte file (truncated?)");
            }
            byte[] header = map.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
            JsonNode root;
            try {
                root = JSON.readTree(header);
            } catch (IOException e) {
                throw bad(path, "header is not valid JSON (" + firstLine(e.getMessage()) + ")");
            }
            if (root == null || !root.isObject()) throw bad(path, "header is not a JSON object");
            MemorySegment data = map.asSlice(8 + headerLen);
            return new SafetensorsFile(path, parseTensors(path, root, data));
        } catch (NoSuchFileException e) {
            throw new KilnException(path + ": no such file");
        } catch (IOException e) {
            throw new KilnException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    private static Map<String, Tensor> parseTensors(Path path, JsonNode root, MemorySegment data) {
        Map<String, Tensor> out = new LinkedHashMap<>();
        List<long[]> ranges = new ArrayList<>();
        List<String> rangeNames = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if (name.equals("__metadata__")) continue;
            JsonNode t = e.getValue();
            String where = path + ": corrupt safetensors header: tensor '" + name + "'";
            if (!t.isObject()) throw new KilnException(where + ": header entry is not an object");
            JsonNode dt = t.get("dtype");
            if (dt == null || !dt.isTextual()) throw new KilnException(where + ": missing dtype");
            String dtype = dt.asText();
            int esize = Dtypes.size(dtype);
            if (esize <= 0) {
                throw new KilnException(path + ": tensor '" + name + "'" + ": unsupported dtype " + dtype + " (Kiln reads " + Dtypes.SUPPORTED + ")");
            }
            JsonNode sh = t.get("shape");
            if (sh == null || !sh.isArray()) throw new KilnException(where + ": missing shape");
            long[] shape = new long[sh.size()];
            long count = 1;
            for (int i = 0; i < shape.length; i++) {
                JsonNode d = sh.get(i);
                if (!d.canConvertToLong() || d.asLong() < 0) throw new KilnException(where + ": bad shape " + sh);
                shape[i] = d.asLong();
                count = Math.multiplyExact(count, shape[i]);
            }
            JsonNode off = t.get("data_offsets");
            if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()) {
                throw new KilnException(where + ": missing or bad data_offsets");
            }
            long begin = off.get(0).asLong();
            long end = off.get(1).asLong();
            if (begin < 0 || end < begin) throw new KilnException(where + ": bad data_offsets [" + begin + ", " + end + "]");
            if (end > data.byteSize()) {
                throw new KilnException(path + ": tensor '" + name + "'" + ": data [" + begin + ", " + end + ") lies beyond the end of the file's "
                        + data.byteSize() + " data bytes (truncated file?)");
            }
            long expected = Math.multiplyExact(count, esize);
            if (end - begin != expected) {
                throw new KilnException(where + ": " + (end - begin) + " bytes for shape " + sh + " of " + dtype + ", expected " + expected);
            }
            ranges.add(new long[]{begin, end, ranges.size()});
            rangeNames.add(name);
            out.put(name, new Tensor(name, dtype, shape, data.asSlice(begin, end - begin)));
        }
        ranges.sort(Comparator.<long[]>comparingLong(r -> r[0]).thenComparingLong(r -> r[1]));
        for (int i = 1; i < ranges.size(); i++) {
            long[] a = ranges.get(i - 1);
            long[] b = ranges.get(i);
            if (b[0] < a[1] && b[1] > b[0] && a[1] > a[0]) {
                throw new KilnException(path + ": tensor '" + rangeNames.get((int) b[2]) + "' overlaps tensor '"
                        + rangeNames.get((int) a[2]) + "'");
            }
        }
        return Collections.unmodifiableMap(out);
    }

    private static KilnException bad(Path path, String what) {
        return new KilnException(path + ": corrupt safetensors file: " + what);
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    public Path path() {
        return path;
    }

    /** Tensors in header order. */
    public Map<String, Tensor> tensors() {
        return tensors;
    }
}
