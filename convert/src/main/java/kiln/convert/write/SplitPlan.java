package kiln.convert.write;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * convert_hf_to_gguf.py's --split-max-size: a new file starts before a tensor when the current one holds tensors
 * and their raw bytes plus this tensor's would exceed the limit. Files are {@code <stem>-00001-of-0000N.gguf}.
 */
public final class SplitPlan {
    private SplitPlan() {}

    /** Shard index of each tensor. */
    public static int[] assign(List<PlannedTensor> tensors, long maxSize) {
        int[] shard = new int[tensors.size()];
        int cur = 0;
        long bytes = 0;
        int count = 0;
        for (int i = 0; i < tensors.size(); i++) {
            long nb = tensors.get(i).byteSize();
            if (maxSize > 0 && count > 0 && bytes + nb > maxSize) {
                cur++;
                bytes = 0;
                count = 0;
            }
            shard[i] = cur;
            bytes += nb;
            count++;
        }
        return shard;
    }

    public static List<Path> names(Path out, int count) {
        List<Path> p = new ArrayList<>();
        if (count == 1) {
            p.add(out);
            return p;
        }
        String n = out.getFileName().toString();
        int dot = n.lastIndexOf('.');
        String stem = dot > 0 ? n.substring(0, dot) : n;
        for (int i = 0; i < count; i++) p.add(out.resolveSibling(String.format("%s-%05d-of-%05d.gguf", stem, i + 1, count)));
        return p;
    }

    /** Parses 1000, 500K, 50M, 5G (powers of 1000, as the reference converter). */
    public static long parseSize(String s) {
        String t = s.trim().toUpperCase(java.util.Locale.ROOT);
        long mul = 1;
        if (t.endsWith("K")) mul = 1000L;
        else if (t.endsWith("M")) mul = 1000_000L;
        else if (t.endsWith("G")) mul = 1000_000_000L;
        if (mul > 1) t = t.substring(0, t.length() - 1);
        try {
            long v = Long.parseLong(t);
            if (v <= 0) throw new NumberFormatException();
            return v * mul;
        } catch (NumberFormatException e) {
            throw new kiln.tensor.KilnException("--split-max-size: '" + s + "' is not a size (e.g. 500M, 5G)");
        }
    }
}
