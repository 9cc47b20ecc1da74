package kiln.validate.compat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Tensor names and the human summary of a set of them ("122 extra: attn_k_b, attn_v_b in 61 layers"). */
final class Names {
    private Names() {}

    private static final Pattern LAYER = Pattern.compile("blk\\.(\\d+)\\.(.+?)(\\.weight)?");

    static String blk(long layer, String name) {
        return "blk." + layer + "." + name + ".weight";
    }

    static String blkBias(long layer, String name) {
        return "blk." + layer + "." + name + ".bias";
    }

    /** Groups layer tensors by kind: "attn_k_b, attn_v_b in 61 layers; output.weight". */
    static String summarize(List<String> names) {
        Map<String, TreeSet<Long>> byKind = new LinkedHashMap<>();
        List<String> other = new ArrayList<>();
        for (String n : names) {
            Matcher m = LAYER.matcher(n);
            if (m.matches()) byKind.computeIfAbsent(m.group(2), k -> new TreeSet<>()).add(Long.parseLong(m.group(1)));
            else other.add(n);
        }
        // kinds that occur in the same set of layers are listed together
        Map<TreeSet<Long>, List<String>> byLayers = new LinkedHashMap<>();
        for (var e : byKind.entrySet()) byLayers.computeIfAbsent(e.getValue(), k -> new ArrayList<>()).add(e.getKey());
        List<String> parts = new ArrayList<>();
        for (var e : byLayers.entrySet()) {
            TreeSet<Long> layers = e.getKey();
            String where = layers.size() == 1 ? "layer " + layers.first() : "in " + layers.size() + " layers";
            parts.add(String.join(", ", e.getValue()) + (layers.size() == 1 ? " in " : " ") + where);
        }
        parts.addAll(other);
        return String.join("; ", parts);
    }
}
