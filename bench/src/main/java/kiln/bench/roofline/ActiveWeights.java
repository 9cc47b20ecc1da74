package kiln.bench.roofline;

import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;

/**
 * Bytes of weights one generated token reads: every tensor once, except the token embedding (one row, unless it doubles as the output matrix) and
 * routed-expert tensors ({@code *_exps}), of which only {@code expert_used_count / expert_count} is read —
 * the active parameters of a MoE model, at the file's own bits per weight.
 */
public final class ActiveWeights {
    private ActiveWeights() {}

    public static long bytesPerToken(GgufFile file) {
        String arch = file.metadata().architecture();
        long experts = file.metadata().getLong(arch + ".expert_count", 0);
        long used = file.metadata().getLong(arch + ".expert_used_count", 0);
        boolean tiedOutput = !file.hasTensor("output.weight");
        double total = 0;
        for (TensorInfo t : file.tensors()) {
            if (t.name().equals("token_embd.weight") && !tiedOutput) {
                total += t.rowSize();
            } else if (t.name().contains("_exps") && experts > 0) {
                total += (double) t.byteSize() * used / experts;
            } else {
                total += t.byteSize();
            }
        }
        return (long) total;
    }

    /** Efficiency of a generation speed against the bandwidth roofline, in percent. */
    public static double rooflinePercent(long bytesPerToken, double tokensPerSecond, double bandwidthGbs) {
        return 100.0 * bytesPerToken * tokensPerSecond / (bandwidthGbs * 1e9);
    }
}
