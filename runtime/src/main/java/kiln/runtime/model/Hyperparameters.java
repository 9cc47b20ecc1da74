package kiln.runtime.model;

import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.TensorInfo;

import java.util.BitSet;

/**
 * Checks a model's hyperparameters before anything sized by them is allocated: counts against the tensor inventory
 * (the {@code blk.N} layers present, the expert tensors' shapes) and sane bounds, floats for NaN, infinities and
 * signs. Each refusal is one line naming the file and the key.
 */
final class Hyperparameters {
    private Hyperparameters() {}

    /** More than any released model has (DeepSeek-V3: 61 layers, 256 experts); a guard against absurd values. */
    static final int MAX_LAYERS = 1 << 16, MAX_EXPERTS = 1 << 16;

    static void check(GgufFile file, String arch, String name) {
        GgufMetadata md = file.metadata();
        String a = arch + ".";
        checkBlockCount(file, md, a, name);
        positive(md, a + "context_length", name);
        positive(md, a + "embedding_length", name);
        positive(md, a + "attention.head_count", name);
        positive(md, a + "attention.head_count_kv", name);
        positive(md, a + "rope.dimension_count", name);
        checkExperts(file, md, a, name);
        number(md, a + "rope.freq_base", name, Sign.POSITIVE);
        number(md, a + "attention.layer_norm_rms_epsilon", name, Sign.NOT_NEGATIVE);
        number(md, a + "rope.scaling.factor", name, Sign.NOT_NEGATIVE);
        number(md, a + "expert_weights_scale", name, Sign.ANY);
    }

    /** block_count must be ≥ 1 and every layer below it must have tensors in the file. */
    private static void checkBlockCount(GgufFile file, GgufMetadata md, String a, String name) {
        String key = a + "block_count";
        long n = md.requireLong(key);
        BitSet present = layersPresent(file);
        int have = present.nextClearBit(0);
        if (n < 1) throw new KilnException(name + ": " + key + " is " + n + "; a model needs at least one layer");
        if (n > have) {
            throw new KilnException(name + ": " + key + " is " + n + " but the file has tensors for "
                    + (have == 0 ? "no layers (no blk.0.* tensors)" : have + " layers (blk.0 … blk." + (have - 1) + ")"));
        }
    }

    private static BitSet layersPresent(GgufFile file) {
        BitSet present = new BitSet();
        for (TensorInfo t : file.tensors()) {
            String s = t.name();
            if (!s.startsWith("blk.")) continue;
            int dot = s.indexOf('.', 4);
            if (dot < 5 || dot > 10) continue;
            try {
                int i = Integer.parseInt(s, 4, dot, 10);
                if (i >= 0 && i < MAX_LAYERS) present.set(i);
            } catch (NumberFormatException ignored) {
                // not a layer tensor
            }
        }
        return present;
    }

    /** expert_count must be the experts the expert tensors hold; expert_used_count between 1 and it. */
    private static void checkExperts(GgufFile file, GgufMetadata md, String a, String name) {
        String key = a + "expert_count";
        if (!md.contains(key)) return;
        long n = md.getLong(key, 0);
        TensorInfo exps = null;
        for (TensorInfo t : file.tensors()) {
            if (t.name().startsWith("blk.") && t.name().endsWith(".ffn_gate_exps.weight")) {
                exps = t;
                break;
            }
        }
        if (n < 0 || n > MAX_EXPERTS) throw new KilnException(name + ": " + key + " is " + n + "; expected 0 … " + MAX_EXPERTS);
        if (exps != null && exps.nDims() == 3 && exps.dim(2) != n) {
            throw new KilnException(name + ": " + key + " is " + n + " but " + exps.name() + " holds " + exps.dim(2) + " experts");
        }
        if (n > 0) {
            long dense = md.getLong(a + "leading_dense_block_count", 0);
            if (exps == null && dense < md.getLong(a + "block_count", 0)) {
                throw new KilnException(name + ": " + key + " is " + n + " but the file has no expert tensors (ffn_gate_exps)");
            }
            String usedKey = a + "expert_used_count";
            long used = md.getLong(usedKey, 0);
            if (used < 1 || used > n) throw new KilnException(name + ": " + usedKey + " is " + used + "; expected 1 … " + n + " (" + key + ")");
        }
    }

    private static void positive(GgufMetadata md, String key, String name) {
        if (!md.contains(key)) return;
        long v = md.getLong(key, 1);
        if (v < 1 || v > Integer.MAX_VALUE) throw new KilnException(name + ": " + key + " is " + v + "; expected a positive 32-bit count");
    }

    private enum Sign {
        POSITIVE("a finite number > 0"), NOT_NEGATIVE("a finite number ≥ 0"), ANY("a finite number");

        final String expected;

        Sign(String expected) {
            this.expected = expected;
        }

        boolean accepts(double v) {
            return Double.isFinite(v) && (this == ANY || (this == POSITIVE ? v > 0 : v >= 0));
        }
    }

    /** A float key, if present, must be finite and of the sign given. */
    private static void number(GgufMetadata md, String key, String name, Sign sign) {
        if (!md.contains(key)) return;
        double v = md.getDouble(key, 0);
        if (!sign.accepts(v)) throw new KilnException(name + ": " + key + " is " + v + "; expected " + sign.expected);
    }
}
