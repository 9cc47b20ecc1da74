package kiln.convert.write;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/**
 * general.name and general.size_label as gguf-py guesses them: the folder name in title case, and the parameter
 * count rounded ("3.7M", "8x3.4M" for expert models). Not compared by the golden tests (the tools guess them).
 */
public final class ModelNaming {
    private ModelNaming() {}

    /** gguf-py Metadata.id_to_title. */
    public static String title(String id) {
        StringBuilder out = new StringBuilder();
        for (String w : id.strip().replace('-', ' ').split("\\s+")) {
            if (w.isEmpty()) continue;
            if (!out.isEmpty()) out.append(' ');
            boolean lower = w.chars().anyMatch(Character::isLetter) && w.equals(w.toLowerCase(java.util.Locale.ROOT));
            if (lower && !w.matches("^(v\\d+(?:\\.\\d+)*|\\d.*)$")) out.append(pyTitle(w));
            else out.append(w);
        }
        return out.toString();
    }

    private static String pyTitle(String w) {
        StringBuilder sb = new StringBuilder();
        boolean prevLetter = false;
        for (int i = 0; i < w.length(); i++) {
            char c = w.charAt(i);
            sb.append(prevLetter ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevLetter = Character.isLetter(c);
        }
        return sb.toString();
    }

    /** gguf-py size_label over the planned tensors. */
    public static String sizeLabel(List<PlannedTensor> tensors) {
        long total = 0, shared = 0, expert = 0, expertSum = 0, nExpertTensors = 0;
        for (PlannedTensor t : tensors) {
            long size = t.elements();
            if (t.name().contains("_exps.")) {
                long[] ne = t.ne();
                long count = t.name().contains(".bias") ? ne[1] : ne[2];
                expert += size / count;
                expertSum += count;
                nExpertTensors++;
            } else {
                shared += size;
            }
            total += size;
        }
        long expertCount = nExpertTensors > 0 ? expertSum / nExpertTensors : 0;
        if (expertCount > 0) return expertCount + "x" + rounded(shared + expert);
        return rounded(total);
    }

    public static String rounded(long n) {
        double scaled;
        String suffix;
        if (n > 1e12) { scaled = n * 1e-12; suffix = "T"; }
        else if (n > 1e9) { scaled = n * 1e-9; suffix = "B"; }
        else if (n > 1e6) { scaled = n * 1e-6; suffix = "M"; }
        else { scaled = n * 1e-3; suffix = "K"; }
        String r = new BigDecimal(scaled).setScale(0, RoundingMode.HALF_EVEN).toBigInteger().toString();
        r = r.replaceFirst("^0+", "");
        int fix = Math.max(2 - r.length(), 0);
        return new BigDecimal(scaled).setScale(fix, RoundingMode.HALF_EVEN).toPlainString() + suffix;
    }
}
