package kiln.bench.synth;

import kiln.tensor.KilnException;

import java.util.List;
import java.util.Locale;

/**
 * A named model shape for {@code kiln synth}. DeepSeek presets use DeepSeek-V2-Lite's dimensions with fewer layers;
 * {@code qLoraRank == 0} means no q_lora (as V2-Lite).
 */
public record Preset(String name, String description, boolean deepseek, int hidden, int layers, int heads, int kvHeads,
                     int ffn, int vocab, int qLoraRank, int kvLoraRank, int qkNope, int qkRope, int vHead,
                     int experts, int expertsUsed, int sharedExperts, int moeFfn, int firstDense) {

    public static final List<Preset> ALL = List.of(
            new Preset("deepseek-v2-lite", "DeepSeek-V2-Lite at full depth: 27 layers (first dense), 64 experts top-6, no q_lora (15.7 B parameters)",
                    true, 2048, 27, 16, 16, 10944, 102400, 0, 512, 128, 64, 128, 64, 6, 2, 1408, 1),
            new Preset("deepseek-v2-lite-4l", "DeepSeek-V2-Lite dimensions, 4 layers (first dense), no q_lora",
                    true, 2048, 4, 16, 16, 10944, 102400, 0, 512, 128, 64, 128, 64, 6, 2, 1408, 1),
            new Preset("deepseek-v2-lite-qlora-4l", "as deepseek-v2-lite-4l with q_lora_rank 1536 (loads in ik_llama.cpp)",
                    true, 2048, 4, 16, 16, 10944, 102400, 1536, 512, 128, 64, 128, 64, 6, 2, 1408, 1),
            new Preset("llama-1b", "Llama: hidden 2048, 16 layers, 32 heads, 8 KV heads, FFN 8192, vocab 32000",
                    false, 2048, 16, 32, 8, 8192, 32000, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
            new Preset("tiny-deepseek-test", "a few-MB DeepSeek-V2 shape for tests (2 layers, 4 experts)",
                    true, 64, 2, 2, 2, 128, 512, 0, 32, 16, 8, 16, 4, 2, 1, 32, 1),
            new Preset("tiny-llama-test", "a few-MB Llama shape for tests",
                    false, 64, 2, 4, 2, 128, 512, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));

    public static Preset byName(String name) {
        for (Preset p : ALL) if (p.name.equals(name.toLowerCase(Locale.ROOT))) return p;
        throw new KilnException("unknown preset '" + name + "'; presets: " + String.join(", ", ALL.stream().map(Preset::name).toList()));
    }

    public int headDim() {
        return hidden / heads;
    }
}
