package kiln.imatrix;

import kiln.tensor.KilnException;
import kiln.tensor.imatrix.ImatrixFormat;

import java.util.Locale;

/**
 * Whose llama-imatrix to reproduce. Mainline: chunks of n_ctx tokens, a file's counts are rows (GGUF by default).
 * ik (its defaults: flash attention on, so the context is padded to a multiple of 256): chunks of the padded
 * context evaluated in batches of n_ctx tokens, ncall counts evaluated batches, legacy {@code .dat} by default.
 */
enum Reference {
    MAINLINE, IK;

    static Reference parse(String s, ModelTensors model) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "auto" -> model.madeFor == kiln.tensor.codec.Flavor.IK ? IK : MAINLINE;
            case "mainline" -> MAINLINE;
            case "ik" -> IK;
            default -> throw new KilnException("--reference '" + s + "' is not one of auto, mainline, ik");
        };
    }

    ImatrixFormat defaultFormat() {
        return this == IK ? ImatrixFormat.DAT : ImatrixFormat.GGUF;
    }

    /** Tokens per chunk (the context the tool really uses). */
    int chunkSize(int nCtx) {
        return this == IK ? (nCtx + 255) / 256 * 256 : nCtx;
    }

    /** Tokens per evaluated batch: llama-imatrix sets n_batch = min(n_batch, n_ctx). */
    int batchSize(int nCtx, int nBatch) {
        return Math.min(nBatch, nCtx);
    }

    String toolName() {
        return this == IK ? "ik_llama.cpp" : "llama.cpp";
    }
}
