package kiln.cuda.place;

import kiln.tensor.KilnException;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Byte counts as users write them ({@code 24GiB}, {@code 24GB}, {@code 512MiB}, {@code 8192}) and as llama.cpp prints them (MiB). */
public final class MemorySize {
    private MemorySize() {}

    private static final Pattern SIZE = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)\\s*(|B|KiB|MiB|GiB|TiB|KB|MB|GB|TB|K|M|G|T)", Pattern.CASE_INSENSITIVE);

    /** Binary units (KiB…TiB, and K/M/G/T as llama.cpp users mean them) or decimal ones (KB…TB); a bare number is bytes. */
    public static long parse(String s, String option) {
        Matcher m = SIZE.matcher(s.strip());
        if (!m.matches()) throw new KilnException(option + " '" + s + "' is not a memory size (e.g. 24GiB, 24GB, 512MiB)");
        double v = Double.parseDouble(m.group(1));
        double mul = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "", "b" -> 1;
            case "kib", "k" -> 1L << 10;
            case "mib", "m" -> 1L << 20;
            case "gib", "g" -> 1L << 30;
            case "tib", "t" -> 1L << 40;
            case "kb" -> 1e3;
            case "mb" -> 1e6;
            case "gb" -> 1e9;
            case "tb" -> 1e12;
            default -> throw new IllegalStateException(m.group(2));
        };
        double bytes = v * mul;
        if (bytes <= 0 || bytes > 1e18) throw new KilnException(option + " '" + s + "' is not a usable memory size");
        return (long) bytes;
    }

    public static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.2f MiB", bytes / 1048576.0);
    }

    /** MiB below 1 GiB, GiB from there. */
    public static String human(long bytes) {
        return bytes < (1L << 30) ? mib(bytes) : gib(bytes);
    }

    public static String gib(long bytes) {
        return String.format(Locale.ROOT, "%.2f GiB", bytes / 1073741824.0);
    }
}
