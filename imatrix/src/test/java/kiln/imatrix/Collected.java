package kiln.imatrix;

import kiln.tensor.imatrix.Imatrix;
import kiln.tensor.imatrix.ImatrixEntry;
import kiln.tensor.imatrix.ImatrixWeights;
import kiln.tensor.testing.Fixtures;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** Runs kiln imatrix once per fixture configuration (as the reference command: -c 128 --chunks 16) and compares. */
final class Collected {
    private Collected() {}

    private static final Map<String, Path> CACHE = new ConcurrentHashMap<>();
    private static final Map<Path, String> LOGS = new ConcurrentHashMap<>();

    /** What the run printed (progress with the running perplexity). */
    static String log(Path out) {
        return LOGS.get(out);
    }
    private static Path dir;

    static synchronized Path dir() throws Exception {
        if (dir == null) {
            dir = Files.createTempDirectory("kiln-imatrix-test");
            dir.toFile().deleteOnExit();
        }
        return dir;
    }

    /** Kiln's imatrix of {@code model} (fixture-relative) on the model's calib.txt; cached per key. */
    static synchronized Path of(String model, String format, String reference, int mla) throws Exception {
        String key = model + "|" + format + "|" + reference + "|" + mla;
        Path p = CACHE.get(key);
        if (p != null) return p;
        Path root = Fixtures.require();
        Path m = root.resolve(model);
        Path text = m.getParent().getParent().resolve("text/calib.txt");
        Path out = dir().resolve(CACHE.size() + "-" + m.getFileName() + "." + format);
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        int rc = ImatrixTool.run(new ImatrixTool.Options(m, text, out, 128, 2048, 512, 16, format, mla, List.of(), null, false,
                reference, 2, "auto"), new PrintStream(log, true));
        assertEquals(0, rc, log.toString());
        System.out.println(log);
        CACHE.put(key, out);
        LOGS.put(out, log.toString());
        return out;
    }

    record Errors(double maxElement, double maxEntryL2, double fractionWithin1e3, String worst) {}

    /**
     * Compares every entry of {@code ref} with Kiln's: same counts, and the importance weights (mean of x² per
     * column, what the quantizer uses) elementwise.
     */
    static Errors compare(Imatrix ref, Imatrix kiln, Iterable<String> names) {
        double maxEl = 0, maxL2 = 0;
        long n = 0, within = 0;
        String worst = "";
        for (String name : names) {
            ImatrixEntry r = ref.get(name), k = kiln.get(name);
            assertNotNull(k, "Kiln has no entry " + name);
            assertEquals(r.size(), k.size(), name + " size");
            assertEquals(java.util.Arrays.toString(r.counts()), java.util.Arrays.toString(k.counts()), name + " counts");
            float[] a = ImatrixWeights.of(ref, r), b = ImatrixWeights.of(kiln, k);
            double num = 0, den = 0;
            for (int i = 0; i < a.length; i++) {
                double e = Math.abs(a[i] - b[i]) / Math.max(Math.abs(a[i]), 1e-30);
                if (e > maxEl) {
                    maxEl = e;
                    worst = name + "[" + i + "]";
                }
                if (e <= 1e-3) within++;
                n++;
                num += (a[i] - b[i]) * (double) (a[i] - b[i]);
                den += a[i] * (double) a[i];
            }
            maxL2 = Math.max(maxL2, Math.sqrt(num / den));
        }
        Errors e = new Errors(maxEl, maxL2, within / (double) n, worst);
        System.out.println("imatrix agreement: " + e);
        return e;
    }
}
