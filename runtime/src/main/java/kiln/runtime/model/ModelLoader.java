package kiln.runtime.model;

import kiln.runtime.kernel.Backend;
import kiln.runtime.kernel.Kernels;
import kiln.runtime.kernel.Numerics;
import kiln.runtime.tokenizer.Tokenizer;
import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.TensorInfo;

import java.nio.file.Path;

/** Opens a GGUF (single or split), checks architecture and types, and builds the model's graph. */
public final class ModelLoader {
    private ModelLoader() {}

    public static final String ARCHITECTURES = "llama, deepseek2";

    public static Model load(Path path, ModelOptions options) {
        return load(path, options, Kernels.select());
    }

    /** "auto" picks the tool whose numerics to reproduce from the file ({@link kiln.tensor.codec.Flavor#of}). */
    static String resolveNumerics(String wanted, String arch, GgufFile file, String name) {
        String w = wanted == null ? "auto" : wanted.toLowerCase();
        return switch (w) {
            case "mainline", "ik", "f32", "fast" -> w;
            case "auto" -> kiln.tensor.codec.Flavor.of(file.metadata(), file.tensors()) == kiln.tensor.codec.Flavor.IK ? "ik" : "mainline";
            default -> throw new KilnException("--numerics '" + wanted + "' is not one of fast, auto, mainline, ik, f32");
        };
    }

    /**
     * Every check {@link #load} makes, for {@code kiln validate}: the model is built as {@code kiln run} builds it (with a
     * one-token context and one thread, so nothing sized by a context is allocated) and closed again. Returns the model's
     * one-line description; throws the {@link KilnException} run would throw.
     */
    public static String check(Path path) {
        try (Model m = load(path, ModelOptions.defaults().withCtx(1).withThreads(1))) {
            return m.describe();
        }
    }

    public static Model load(Path path, ModelOptions options, Kernels kernels) {
        GgufFile file = GgufFile.open(path);
        try {
            String name = path.getFileName().toString();
            GgufMetadata md = file.metadata();
            String arch = md.getString("general.architecture", null);
            if (arch == null) throw new KilnException(name + ": missing general.architecture");
            if (!arch.equals("llama") && !arch.equals("deepseek2")) {
                throw new KilnException(name + ": Kiln cannot run architecture '" + arch + "'; it runs: " + ARCHITECTURES);
            }
            // every tensor must have a codec before any work is done
            for (TensorInfo t : file.tensors()) WeightSource.codecFor(t.type(), t.name());
            Tokenizer tok = Tokenizer.fromMetadata(md, name);
            Hyperparameters.check(file, arch, name);
            long trained = md.getLong(arch + ".context_length", 4096);
            if (options.nCtx() > trained) {
                throw new KilnException(name + ": a context of " + options.nCtx() + " tokens (-c) is longer than the model's context of "
                        + trained + " (" + arch + ".context_length)");
            }
            int nCtx = options.nCtx() > 0 ? options.nCtx() : (int) Math.min(trained, 4096);
            ModelOptions opt = options.withCtx(nCtx);
            long vocabKey = md.getLong(arch + ".vocab_size", tok.vocabSize());
            if (vocabKey != tok.vocabSize()) {
                throw new KilnException(name + ": " + arch + ".vocab_size is " + vocabKey + " but the tokenizer has " + tok.vocabSize() + " tokens");
            }
            int maxCols = 0, maxIl = 1;
            for (TensorInfo t : file.tensors()) {
                maxCols = (int) Math.max(maxCols, t.dim(0));
                maxIl = Math.max(maxIl, Math.max(1, t.type().interleave()));
            }
            if (opt.runTimeRepack()) maxIl = Math.max(maxIl, 16);
            Numerics numerics = Numerics.named(resolveNumerics(opt.numerics(), arch, file, name));
            Backend backend = new Backend(kernels, Math.max(1, opt.threads()), Math.max(maxCols, 1024), maxIl,
                    Math.max(1, Math.min(opt.ubatch(), nCtx * Math.max(1, opt.nSeq()))), numerics);
            java.lang.foreign.Arena repackArena = opt.runTimeRepack() ? java.lang.foreign.Arena.ofShared() : null;
            try {
                WeightSource src = new WeightSource(file, backend::planned);
                if (repackArena != null) src.enableRunTimeRepack(repackArena);
                Model m = arch.equals("llama") ? new LlamaModel(src, opt, tok, backend) : new DeepseekModel(src, opt, tok, backend);
                m.attach(file);
                if (repackArena != null) {
                    m.attach(repackArena);
                    m.noteRepacked(src.repackedCount());
                }
                return m;
            } catch (RuntimeException e) {
                backend.close();
                if (repackArena != null) repackArena.close();
                throw e;
            }
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }
}
