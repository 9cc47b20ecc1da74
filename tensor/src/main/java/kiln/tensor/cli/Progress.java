package kiln.tensor.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress of long work (bytes, items, rate, ETA). On a terminal one line rewritten in place five times a
 * second; when stderr is not a terminal (nohup, pipes, CI) a whole line every {@link #LINE_INTERVAL_NANOS}
 * (llama.cpp style), so a job of a few seconds stays quiet and a long one shows that it is alive.
 * Thread-safe: workers call {@link #advance}.
 */
public final class Progress {
    /** How a progress reports itself. */
    public enum Mode { OFF, TERMINAL, LINES }

    /** Seconds between lines when stderr is not a terminal. */
    static final long LINE_INTERVAL_NANOS = 5_000_000_000L;

    private final String what;
    private final String unit;
    private final long totalBytes;
    private final long totalItems;
    private final Mode mode;
    private final long interval;
    private final PrintStream out;
    private final long start = System.nanoTime();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong items = new AtomicLong();
    private volatile long lastPrint = start;
    private volatile boolean printed;

    /** Lines on a terminal, whole lines every few seconds elsewhere. */
    public Progress(String what, long totalItems, long totalBytes) {
        this(what, totalItems, totalBytes, System.console() != null ? Mode.TERMINAL : Mode.LINES,
                System.console() != null ? 200_000_000L : LINE_INTERVAL_NANOS, System.err);
    }

    /** On a terminal when {@code enabled}, otherwise silent. */
    public Progress(String what, long totalItems, long totalBytes, boolean enabled, PrintStream out) {
        this(what, totalItems, totalBytes, enabled ? Mode.TERMINAL : Mode.OFF, 200_000_000L, out);
    }

    public Progress(String what, long totalItems, long totalBytes, Mode mode, long intervalNanos, PrintStream out) {
        this(what, "tensors", totalItems, totalBytes, mode, intervalNanos, out);
    }

    /**
     * Counting {@code unit} ("chunks", "tensors"); without a byte total (0) the line shows the items only, with a
     * rate and ETA in items, and without an item total only the count.
     */
    public static Progress ofItems(String what, String unit, long totalItems) {
        return new Progress(what, unit, totalItems, 0, System.console() != null ? Mode.TERMINAL : Mode.LINES,
                System.console() != null ? 200_000_000L : LINE_INTERVAL_NANOS, System.err);
    }

    Progress(String what, String unit, long totalItems, long totalBytes, Mode mode, long intervalNanos, PrintStream out) {
        this.what = what;
        this.unit = unit;
        this.totalItems = totalItems;
        this.totalBytes = totalBytes;
        this.mode = mode;
        this.interval = intervalNanos;
        this.out = out;
    }

    public Mode mode() {
        return mode;
    }

    public void advance(long items, long bytes) {
        this.items.addAndGet(items);
        this.bytes.addAndGet(bytes);
        if (mode == Mode.OFF) return;
        long now = System.nanoTime();
        if (now - lastPrint < interval && (mode == Mode.LINES || this.items.get() < totalItems)) return;
        lastPrint = now;
        print(false);
    }

    private synchronized void print(boolean last) {
        double secs = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
        long b = bytes.get();
        double rate = b / secs;
        double eta = rate > 0 && totalBytes > 0 ? (totalBytes - b) / rate : 0;
        boolean lines = mode == Mode.LINES;
        String end = lines || last ? "\n" : "   ";
        long n = items.get();
        if (totalBytes == 0 && b == 0) {
            double itemRate = n / secs, itemEta = itemRate > 0 && totalItems > n ? (totalItems - n) / itemRate : 0;
            out.printf(Locale.ROOT, "%s%s: %s %s, %.2f/s, ETA %s%s", lines ? "" : "\r", what,
                    totalItems > 0 ? n + "/" + totalItems : Long.toString(n), unit, itemRate,
                    itemEta > 0 ? String.format(Locale.ROOT, "%.0fs", itemEta) : "-", end);
        } else {
            out.printf(Locale.ROOT, "%s%s: %d/%d %s, %s/%s, %s/s, ETA %s%s", lines ? "" : "\r", what, n, totalItems, unit,
                    human(b), human(totalBytes), human((long) rate), eta > 0 ? String.format(Locale.ROOT, "%.0fs", eta) : "-", end);
        }
        out.flush();
        printed = true;
    }

    /** Prints the final line: on a terminal always, as lines only when a line was printed before. */
    public void done() {
        if (mode == Mode.TERMINAL || mode == Mode.LINES && printed) print(true);
    }

    public double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    public long bytes() {
        return bytes.get();
    }

    public static String human(long bytes) {
        if (bytes < 1024) return bytes + " B";
        String[] u = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int i = -1;
        while (v >= 1024 && i < u.length - 1) { v /= 1024; i++; }
        return String.format(Locale.ROOT, "%.1f %s", v, u[i]);
    }
}
