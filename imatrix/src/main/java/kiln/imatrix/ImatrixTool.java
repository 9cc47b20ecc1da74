package kiln.imatrix;

import kiln.runtime.kernel.KernelInfo;
import kiln.runtime.model.Model;
import kiln.runtime.model.ModelLoader;
import kiln.runtime.model.ModelOptions;
import kiln.tensor.KilnException;
import kiln.tensor.imatrix.Imatrix;
import kiln.tensor.imatrix.ImatrixFiles;
import kiln.tensor.imatrix.ImatrixFormat;
import kiln.tensor.io.TextFile;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** `kiln imatrix`: collect (with merging of earlier files) or convert importance matrices. */
public final class ImatrixTool {
    private ImatrixTool() {}

    public record Options(Path model, Path text, Path out, int nCtx, int batch, int ubatch, int chunks, String format, int mla,
                          List<Path> inFiles, Path convert, boolean processOutput, String reference, int threads, String numerics, int skipChunks, int outFreq,
                          int saveFreq, boolean noPpl) {

        public Options(Path model, Path text, Path out, int nCtx, int batch, int ubatch, int chunks, String format, int mla,
                       List<Path> inFiles, Path convert, boolean processOutput, String reference, int threads, String numerics) {
            this(model, text, out, nCtx, batch, ubatch, chunks, format, mla, inFiles, convert, processOutput, reference, threads, numerics, 0, 10, 0, false);
        }
    }

    public static int run(Options o, PrintStream log) {
        if (o.convert() != null) return convert(o, log);
        if (o.model() == null) throw new KilnException("no model: give -m FILE");
        if (o.text() == null && o.inFiles().isEmpty()) throw new KilnException("nothing to do: give -f TEXT (and/or --in-file FILE to merge)");
        if (o.nCtx() < 1 || o.batch() < 1 || o.ubatch() < 1) throw new KilnException("-c, -b and -ub must be at least 1");
        if (o.mla() < 0 || o.mla() > 3) throw new KilnException("-mla " + o.mla() + " is not a mode; use 0, 1, 2 or 3");
        if (o.threads() < 1) throw new KilnException("-t must be at least 1");
        if (o.skipChunks() < 0) throw new KilnException("--chunk must not be negative");
        if (o.outFreq() < 1 || o.saveFreq() < 0) throw new KilnException("--output-frequency must be at least 1 and --save-frequency not negative");
        ModelTensors mt = ModelTensors.of(o.model());
        if (mt.contextLength > 0 && o.nCtx() > mt.contextLength) {
            throw new KilnException("a context of " + o.nCtx() + " tokens is longer than " + mt.fileName + "'s context of " + mt.contextLength);
        }
        Reference ref = Reference.parse(o.reference(), mt);
        ImatrixFormat fmt = o.format() == null ? ref.defaultFormat() : ImatrixFormat.parse(o.format());
        int chunk = ref.chunkSize(o.nCtx());
        int batch = ref.batchSize(o.nCtx(), o.batch());
        String text = o.text() == null ? null : readText(o.text());

        Collector col = new Collector(mt, o.processOutput(), ref == Reference.IK);
        List<String> datasets = new ArrayList<>();
        for (Path p : o.inFiles()) {
            log.println("kiln imatrix: loading imatrix from '" + p + "'");
            Imatrix in = ImatrixFiles.read(p);
            ImatrixBuilder.seed(col, in, p.toString(), mt, ref, chunk);
            if (ref == Reference.MAINLINE) datasets.addAll(in.datasets());
        }
        if (text != null) {
            datasets.add(o.text().toString());
            // mainline evaluates n_batch / n_ctx chunks as parallel sequences of one batch (ik: one chunk at a time)
            int parallel = ref == Reference.MAINLINE ? Math.max(1, o.batch() / chunk) : 1;
            ModelOptions mo = ModelOptions.defaults().withCtx(chunk).withSequences(parallel)
                    .withUbatch(parallel > 1 ? o.ubatch() : Math.min(o.ubatch(), batch)).withThreads(o.threads())
                    .withMla(o.mla()).withCache("f16", "f16")
                    .withNumerics(o.numerics().equals("auto") ? (ref == Reference.IK ? "ik" : "mainline") : o.numerics());
            try (Model m = ModelLoader.load(o.model(), mo)) {
                log.println("kiln imatrix: " + m.describe());
                log.println("kiln imatrix: " + KernelInfo.describe() + ", " + m.backend().threads() + " threads; reproducing "
                        + ref.toolName() + "'s llama-imatrix");
                m.setMatmulObserver(col);
                try {
                    CalibrationRun.run(m, col, text, chunk, batch, o.chunks(), o.skipChunks(), !o.noPpl(), o.processOutput(), log, parallel, done -> {
                        if (done % o.outFreq() == 0) save(col, o, ref, fmt, chunk, datasets, o.out(), null);
                        if (o.saveFreq() > 0 && done % o.saveFreq() == 0) {
                            save(col, o, ref, fmt, chunk, datasets, o.out().resolveSibling(o.out().getFileName() + ".at_" + done), null);
                        }
                    });
                } finally {
                    m.setMatmulObserver(null);
                }
            }
        }
        Imatrix result = save(col, o, ref, fmt, chunk, datasets, o.out(), log);
        log.println("kiln imatrix: stored " + result.size() + " entries (" + result.chunkCount() + " chunks) in " + o.out()
                + " (" + fmt.name().toLowerCase() + ")");
        return 0;
    }

    /** Builds the file as the reference tool saves it and writes it atomically. */
    private static Imatrix save(Collector col, Options o, Reference ref, ImatrixFormat fmt, int chunk, List<String> datasets, Path target,
                                PrintStream log) {
        PrintStream l = log != null ? log : new PrintStream(java.io.OutputStream.nullOutputStream());
        Imatrix result = fmt == ImatrixFormat.DAT && ref == Reference.IK
                ? ImatrixBuilder.ikLegacy(col, o.text() != null ? List.of(o.text().toString()) : List.of(), l)
                : ImatrixBuilder.raw(col, chunk, datasets);
        if (result.size() == 0) throw new KilnException("no imatrix entries were collected (is the text long enough for batches of 16 tokens?)");
        ImatrixFiles.write(result, target, fmt, chunk);
        return result;
    }

    private static int convert(Options o, PrintStream log) {
        if (o.format() == null) throw new KilnException("--convert needs --format dat|gguf");
        ImatrixFormat fmt = ImatrixFormat.parse(o.format());
        Imatrix in = ImatrixFiles.read(o.convert());
        if (o.model() != null) in = MlaReshape.forModel(in, ModelTensors.of(o.model()), o.convert().toString(), log);
        ImatrixFiles.write(in, o.out(), fmt, o.nCtx());
        log.println("kiln imatrix: converted " + in.size() + " entries of " + o.convert() + " to " + fmt.name().toLowerCase() + " in " + o.out());
        return 0;
    }

    static String readText(Path p) {
        String s = TextFile.read(p);
        return s.endsWith("\n") ? s.substring(0, s.length() - 1) : s;
    }
}
