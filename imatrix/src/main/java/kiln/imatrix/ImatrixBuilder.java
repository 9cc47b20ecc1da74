package kiln.imatrix;

import kiln.tensor.KilnException;
import kiln.tensor.imatrix.Imatrix;
import kiln.tensor.imatrix.ImatrixConvert;
import kiln.tensor.imatrix.ImatrixEntry;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** Turns collected statistics into an {@link Imatrix} as each reference tool saves it, and seeds them from files. */
final class ImatrixBuilder {
    private ImatrixBuilder() {}

    private static List<Accumulator> sorted(Collector c) {
        List<Accumulator> l = new ArrayList<>(c.stats.values());
        l.sort(Comparator.comparing(a -> a.name));
        return l;
    }

    /**
     * Mainline's GGUF convention: raw Σx² and row counts, one count for a dense tensor whose matrices all saw the
     * same rows (mainline keeps one count per dense tensor), one per expert for MoE tensors; entries with partial
     * data are kept; chunk count = max count / chunk size.
     */
    static Imatrix raw(Collector c, int chunkSize, List<String> datasets) {
        List<ImatrixEntry> out = new ArrayList<>();
        long max = 0;
        for (Accumulator a : sorted(c)) {
            boolean equal = true;
            for (long n : a.counts) equal &= n == a.counts[0];
            float[] counts;
            if (!a.moe && equal) counts = new float[]{a.counts[0]};
            else {
                counts = new float[a.nMat];
                for (int i = 0; i < a.nMat; i++) counts[i] = a.counts[i];
            }
            for (long n : a.counts) max = Math.max(max, n);
            out.add(new ImatrixEntry(a.name, a.sums.clone(), counts));
        }
        return Imatrix.of(out, datasets, (int) (max / chunkSize), chunkSize, false);
    }

    /**
     * ik's save_imatrix: values {@code (Σx² / count) · ncall}, ncall per entry; entries without data skipped; an
     * MoE entry whose experts partly lack data is stored (missing experts as 1) only when fewer than
     * round(5 %) of its experts lack data, else skipped; the chunk count is the largest ncall.
     */
    static Imatrix ikLegacy(Collector c, List<String> datasets, PrintStream log) {
        List<ImatrixEntry> out = new ArrayList<>();
        int lastCall = 0;
        for (Accumulator a : sorted(c)) lastCall = Math.max(lastCall, a.ncall);
        for (Accumulator a : sorted(c)) {
            if (a.allZero()) {
                log.println("kiln imatrix: entry '" + a.name + "' has no data - skipping");
                continue;
            }
            int bad = 0;
            for (long n : a.counts) if (n == 0) bad++;
            boolean fill = false;
            if (bad > 0) {
                if (a.nMat > 1 && bad < Math.round(a.nMat * 0.05)) {
                    log.println("kiln imatrix: entry '" + a.name + "': " + bad + " of " + a.nMat + " experts lack data; storing them as 1");
                    fill = true;
                } else {
                    log.println("kiln imatrix: entry '" + a.name + "' has partial data (" + bad + " of " + a.nMat + " matrices empty) - skipping");
                    continue;
                }
            }
            float[] v = new float[a.sums.length];
            float ncall = a.ncall;
            for (int m = 0; m < a.nMat; m++) {
                float count = a.counts[m];
                for (int j = 0; j < a.ne0; j++) {
                    int i = m * a.ne0 + j;
                    v[i] = fill && a.counts[m] == 0 ? ncall : (a.sums[i] / count) * ncall;
                }
            }
            out.add(new ImatrixEntry(a.name, v, new float[]{a.ncall}));
        }
        return Imatrix.of(out, datasets, lastCall, 0, true);
    }

    /**
     * Seeds the collector from an earlier file, checked against the model. Mainline convention: raw sums and
     * counts added (legacy inputs scaled by the chunk size; a single count broadcast to the matrices). ik
     * convention: stored values added to the sums, ncall to the counts and to ncall (ik's load_imatrix).
     */
    static void seed(Collector c, Imatrix in, String source, ModelTensors model, Reference ref, int chunkSize) {
        Imatrix m = ref == Reference.IK ? ImatrixConvert.toLegacy(in) : ImatrixConvert.toRaw(in, chunkSize);
        for (ImatrixEntry e : m.entries().values()) {
            model.check(source, e.name(), e.size());
            int nMat = model.nMat(e.name());
            if (e.size() % nMat != 0) throw new KilnException(source + ": imatrix entry '" + e.name() + "' does not split into " + nMat + " matrices");
            int ne0 = e.size() / nMat;
            Accumulator a = c.seed(e.name(), ne0, nMat, e.name().contains("_exps."));
            if (a.sums.length != e.size()) {
                throw new KilnException(source + ": imatrix entry '" + e.name() + "' has " + e.size() + " values, earlier inputs " + a.sums.length);
            }
            for (int i = 0; i < a.sums.length; i++) a.sums[i] += e.sums()[i];
            float[] cnt = e.counts();
            if (cnt.length != 1 && cnt.length != nMat) {
                throw new KilnException(source + ": imatrix entry '" + e.name() + "' has " + cnt.length + " counts for " + nMat + " matrices");
            }
            for (int k = 0; k < nMat; k++) a.counts[k] += Math.round(cnt.length == 1 ? cnt[0] : cnt[k]);
            if (ref == Reference.IK) a.ncall += Math.round(cnt[0]);
            else a.ncall += (int) Math.ceil(e.maxCount() / chunkSize);
        }
    }
}
