package kiln.validate.compat;

import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.GgufValueType;

/**
 * Reads hyper-parameters the way llama.cpp's {@code get_key} does: {@code ARCH.suffix} keys, required or
 * optional, a missing required key failing with the runtimes' own text ("key not found in model: …").
 * Per-layer arrays are read by their first element (the loaders' {@code get_key_or_arr} for uniform layers).
 */
final class Hparams {
    private final GgufMetadata md;
    private final String arch;

    Hparams(GgufMetadata md, String arch) {
        this.md = md;
        this.arch = arch;
    }

    String key(String suffix) {
        return arch + "." + suffix;
    }

    boolean has(String suffix) {
        return md.contains(key(suffix));
    }

    /** llama.cpp's LLAMA_MAX_LAYERS: per-layer hparams live in fixed arrays of this size. */
    static final long MAX_LAYERS = 512;

    /** {@code block_count}, bounded as the runtimes bound it (and so that replaying a loader stays cheap). */
    long layers() throws LoadFailure {
        long n = required("block_count");
        if (n < 0 || n > MAX_LAYERS) throw new LoadFailure(key("block_count") + " is " + n + ", more than LLAMA_MAX_LAYERS (" + MAX_LAYERS + ")");
        return n;
    }

    long required(String suffix) throws LoadFailure {
        GgufValue v = md.get(key(suffix));
        if (v == null) throw new LoadFailure("key not found in model: " + key(suffix));
        return number(suffix, v);
    }

    long optional(String suffix, long dflt) throws LoadFailure {
        GgufValue v = md.get(key(suffix));
        return v == null ? dflt : number(suffix, v);
    }

    private long number(String suffix, GgufValue v) throws LoadFailure {
        if (v.isArray()) {
            if (v.length() == 0) throw new LoadFailure("key " + key(suffix) + " is an empty array");
            if (v.elementType() == GgufValueType.STRING || v.elementType() == GgufValueType.FLOAT32
                    || v.elementType() == GgufValueType.FLOAT64) {
                throw new LoadFailure("key " + key(suffix) + " has wrong type arr[" + v.elementType().shortName() + "]");
            }
            return v.longAt(0);
        }
        return switch (v.type()) {
            case STRING -> throw new LoadFailure("key " + key(suffix) + " has wrong type str but expected an integer");
            case FLOAT32, FLOAT64 -> (long) v.asDouble();
            default -> v.asLong();
        };
    }

    /** Vocabulary size: {@code ARCH.vocab_size}, else the length of {@code tokenizer.ggml.tokens}. */
    long vocab() throws LoadFailure {
        if (has("vocab_size")) return required("vocab_size");
        GgufValue t = md.get("tokenizer.ggml.tokens");
        if (t == null || !t.isArray()) {
            throw new LoadFailure("cannot find tokenizer vocab in model file (neither " + key("vocab_size") + " nor tokenizer.ggml.tokens)");
        }
        return t.length();
    }
}
