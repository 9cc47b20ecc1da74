package kiln.convert.safetensors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.tensor.KilnException;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * The header of one {@code .safetensors} file, parsed and checked from its leading bytes: an 8-byte
 * little-endian header length, a JSON header ({@code name → {dtype, shape, data_offsets}}), then the data.
 * Every tensor is checked: a dtype the caller reads, shape × dtype size equal to its byte length, inside the
 * file, no two tensors overlapping, a sane header size. Works from a mapped file or from only its head bytes.
 */
public final class SafetensorsHeader {
    /** Headers above this are refused (the format's own reader caps them at 100 MB). */
    public static final long MAX_HEADER = 100L << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsHeader() {}

    /** One tensor of the header; {@code offset} counts from the start of the file. */
    public record Entry(String name, String dtype, long[] shape, long offset, long length) {}

    /**
     * The tensors of safetensors file {@code file} (its name in messages), in header order.
     *
     * @param head        the file's first bytes: at least the length and the JSON header (the whole mapping will do)
     * @param fileSize    the size of the whole file
     * @param elementSize bytes per element of a dtype the caller reads; 0 or less refuses the dtype
     * @param supported   the dtypes the caller reads, for the refusal message
     */
    public static List<Entry> parse(String file, MemorySegment head, long fileSize, ToIntFunction<String> elementSize, String supported) {
        if (fileSize < 8 || head.byteSize() < 8) throw bad(file, "file is " + fileSize + " bytes, too short for a safetensors header");
        long headerLen = head.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
        if (headerLen <= 0 || headerLen > MAX_HEADER) {
            throw bad(file, "header length " + headerLen + " is not sane (expected 1.." + MAX_HEADER + " bytes)");
        }
        if (8 + headerLen > fileSize || 8 + headerLen > head.byteSize()) {
            throw bad(file, "header of " + headerLen + " bytes runs past the end of the " + fileSize + "-byte file (truncated?)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(head.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE));
        } catch (IOException e) {
            throw bad(file, "header is not valid JSON (" + firstLine(e.getMessage()) + ")");
        }
        if (root == null || !root.isObject()) throw bad(file, "header is not a JSON object");
        return entries(file, root, 8 + headerLen, fileSize - 8 - headerLen, elementSize, supported);
    }

    private static List<Entry> entries(String file, JsonNode root, long dataStart, long dataSize,
                                       ToIntFunction<String> elementSize, String supported) {
        List<Entry> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.properties().iterator(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            if (name.equals("__metadata__")) continue;
            JsonNode t = e.getValue();
            String where = file + ": corrupt safetensors header: tensor '" + name + "'";
            if (!t.isObject()) throw new KilnException(where + ": header entry is not an object");
            JsonNode dt = t.get("dtype");
            if (dt == null || !dt.isTextual()) throw new KilnException(where + ": missing dtype");
            String dtype = dt.asText();
            int esize = elementSize.applyAsInt(dtype);
            if (esize <= 0) {
                throw new KilnException(file + ": tensor '" + name + "'" + ": unsupported dtype " + dtype + " (Kiln reads " + supported + ")");
            }
            JsonNode sh = t.get("shape");
            if (sh == null || !sh.isArray()) throw new KilnException(where + ": missing shape");
            long[] shape = new long[sh.size()];
            long count = 1;
            long expected;
            try {
                for (int i = 0; i < shape.length; i++) {
                    JsonNode d = sh.get(i);
                    if (!d.canConvertToLong() || d.asLong() < 0) throw new KilnException(where + ": bad shape " + sh);
                    shape[i] = d.asLong();
                    count = Math.multiplyExact(count, shape[i]);
                }
                expected = Math.multiplyExact(count, esize);
            } catch (ArithmeticException overflow) {
                throw new KilnException(where + ": shape " + sh + " of " + dtype + " overflows", overflow);
            }
            JsonNode off = t.get("data_offsets");
            if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()) {
                throw new KilnException(where + ": missing or bad data_offsets");
            }
            long begin = off.get(0).asLong();
            long end = off.get(1).asLong();
            if (begin < 0 || end < begin) throw new KilnException(where + ": bad data_offsets [" + begin + ", " + end + "]");
            if (end > dataSize) {
                throw new KilnException(file + ": tensor '" + name + "'" + ": data [" + begin + ", " + end + ") lies beyond the end of the file's "
                        + dataSize + " data bytes (truncated file?)");
            }
            if (end - begin != expected) {
                throw new KilnException(where + ": " + (end - begin) + " bytes for shape " + sh + " of " + dtype + ", expected " + expected);
            }
            out.add(new Entry(name, dtype, shape, dataStart + begin, end - begin));
        }
        checkNoOverlap(file, out);
        return Collections.unmodifiableList(out);
    }

    private static void checkNoOverlap(String file, List<Entry> entries) {
        List<Entry> byStart = new ArrayList<>(entries);
        byStart.sort(Comparator.comparingLong(Entry::offset).thenComparingLong(t -> t.offset() + t.length()));
        for (int i = 1; i < byStart.size(); i++) {
            Entry a = byStart.get(i - 1);
            Entry b = byStart.get(i);
            if (b.offset() < a.offset() + a.length() && b.length() > 0 && a.length() > 0) {
                throw new KilnException(file + ": tensor '" + b.name() + "' overlaps tensor '" + a.name() + "'");
            }
        }
    }

    private static KilnException bad(String file, String what) {
        return new KilnException(file + ": corrupt safetensors file: " + what);
    }

    private static String firstLine(String s) {
        if (s == null) return "";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }
}
