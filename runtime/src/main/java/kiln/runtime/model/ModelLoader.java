package kiln.runtime.model;

import kiln.runtime.kernel.Backend;
import kiln.runtime.kernel.Kernels;
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
            long trained = md.getLong(arch + ".context_length", 4096);
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
            Backend backend = new Backend(kernels, Math.max(1, opt.threads()), Math.max(maxCols, 1024), maxIl);
            try {
                WeightSource src = new WeightSource(file);
                Model m = arch.equals("llama") ? new LlamaModel(src, opt, tok, backend) : new DeepseekModel(src, opt, tok, backend);
                m.attach(file);
                return m;
            } catch (RuntimeException e) {
                backend.close();
                throw e;
            }
        } catch (RuntimeException e) {
            file.close();
            throw e;
        }
    }
}
