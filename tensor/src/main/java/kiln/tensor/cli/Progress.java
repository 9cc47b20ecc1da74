package kiln.tensor.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Progress of long work (bytes, items, rate, ETA) on a terminal; silent when stderr is not a terminal
 * (pipes, CI) unless forced. Thread-safe: workers call {@link #advance}.
 */
public final class Progress {
    private final String what;
    private final long totalBytes;
    private final long totalItems;
    private final boolean enabled;
    private final PrintStream out;
    private final long start = System.nanoTime();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong items = new AtomicLong();
    private volatile long lastPrint;

    public Progress(String what, long totalItems, long totalBytes) {
        this(what, totalItems, totalBytes, System.console() != null && System.getenv("CI") == null, System.err);
    }

    public Progress(String what, long totalItems, long totalBytes, boolean enabled, PrintStream out) {
        this.what = what;
        this.totalItems = totalItems;
        this.totalBytes = totalBytes;
        this.enabled = enabled;
        this.out = out;
    }

    public void advance(long items, long bytes) {
        this.items.addAndGet(items);
        this.bytes.addAndGet(bytes);
        if (!enabled) return;
        long now = System.nanoTime();
        if (now - lastPrint < 200_000_000L && this.items.get() < totalItems) return;
        lastPrint = now;
        print(false);
    }

    private synchronized void print(boolean last) {
        double secs = Math.max(1e-9, (System.nanoTime() - start) / 1e9);
        long b = bytes.get();
        double rate = b / secs;
        double eta = rate > 0 && totalBytes > 0 ? (totalBytes - b) / rate : 0;
        out.printf(Locale.ROOT, "\r%s: %d/%d tensors, %s/%s, %s/s, ETA %s   %s", what, items.get(), totalItems,
                human(b), human(totalBytes), human((long) rate), eta > 0 ? String.format(Locale.ROOT, "%.0fs", eta) : "-",
                last ? "\n" : "");
        out.flush();
    }

    /** Prints the final line (only when enabled). */
    public void done() {
        if (enabled) print(true);
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
