package kiln.tensor.gguf;

import kiln.tensor.GgmlType;

/**
 * Recognizes the tensor layout of ik_llama.cpp's {@code llama-quantize --repack} from Q8_KV: ik repacks each tensor in
 * place with Q8_KV's row stride and writes it with Q8_KV's size under the Q8_KV_R8 type (every 8-row group followed by
 * 32 stale bytes), so the next tensor's offset is where a Q8_KV tensor would have ended. ik reads such a file wrong
 * itself (llama-perplexity gives nan); the file ik's own Q8_KV_R8 quantization writes, and {@code kiln repack}, have
 * Q8_KV_R8's sizes.
 */
final class IkRepackedQ8Kv {
    private IkRepackedQ8Kv() {}

    /**
     * The tail of the offset refusal when {@code previous} (the tensor before the one whose offset is wrong) is
     * Q8_KV_R8 laid out as ik's {@code --repack} writes it; otherwise "".
     */
    static String explain(TensorInfo previous, long offset, long alignment) {
        if (previous == null || previous.type() != GgmlType.Q8_KV_R8) return "";
        long q8kvBytes = GgmlType.Q8_KV.rowSize(previous.dim(0)) * previous.rowCount();
        long end = previous.offset() + (q8kvBytes + alignment - 1) / alignment * alignment;
        if (offset != end) return "";
        return "; q8_KV_r8 tensor '" + previous.name() + "' takes Q8_KV's size, the layout of ik_llama.cpp's `llama-quantize"
                + " --repack` from Q8_KV, which ik itself reads wrong: repack the Q8_KV file with `kiln repack` (or quantize"
                + " to Q8_KV_R8) instead";
    }
}
