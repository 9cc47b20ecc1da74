package kiln.bench.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A deterministic byte-level BPE tokenizer of a given vocabulary size, with DeepSeek-V3's pre-tokenizer rules
 * (the rules the fixtures' tokenizer uses, so the converter recognises it). Three special tokens come first,
 * then the 256 byte symbols, then merges of random pairs of existing tokens until the vocabulary is full.
 */
final class SynthTokenizer {
    private SynthTokenizer() {}

    static final String BOS = "<｜begin▁of▁sentence｜>";
    static final String EOS = "<｜end▁of▁sentence｜>";
    static final String PAD = "<｜▁pad▁｜>";
    private static final String DIGITS = "\\p{N}{1,3}";
    private static final String CJK = "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+";
    private static final String MAIN = "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+";

    /** GPT-2's bytes_to_unicode: printable bytes map to themselves, the rest to U+0100 onwards. */
    static List<String> byteSymbols() {
        List<Integer> bs = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) bs.add(b);
        for (int b = 0xA1; b <= 0xAC; b++) bs.add(b);
        for (int b = 0xAE; b <= 0xFF; b++) bs.add(b);
        Map<Integer, Integer> map = new LinkedHashMap<>();
        for (int b : bs) map.put(b, b);
        int n = 0;
        for (int b = 0; b < 256; b++) if (!map.containsKey(b)) map.put(b, 256 + n++);
        List<String> out = new ArrayList<>();
        map.values().stream().sorted().forEach(cp -> out.add(new String(Character.toChars(cp))));
        return out;
    }

    static void write(Path dir, int vocabSize, long seed) throws IOException {
        ObjectMapper om = new ObjectMapper();
        List<String> tokens = new ArrayList<>(List.of(BOS, EOS, PAD));
        tokens.addAll(byteSymbols());
        Set<String> seen = new HashSet<>(tokens);
        List<String> merges = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        while (tokens.size() < vocabSize) {
            // favour short, early tokens so merged tokens stay text-like
            String a = tokens.get(3 + (int) Math.min(tokens.size() - 4, Math.abs(rnd.nextGaussian()) * 200));
            String b = tokens.get(3 + rnd.nextInt(Math.min(tokens.size() - 3, 600)));
            String m = a + b;
            if (m.length() > 16 || !seen.add(m)) continue;
            tokens.add(m);
            merges.add(a + " " + b);
        }
        ObjectNode root = om.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < 3; i++) {
            ObjectNode t = added.addObject();
            t.put("id", i).put("content", tokens.get(i)).put("single_word", false).put("lstrip", false)
                    .put("rstrip", false).put("normalized", false).put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode pts = pre.putArray("pretokenizers");
        for (String re : List.of(DIGITS, CJK, MAIN)) {
            ObjectNode s = pts.addObject();
            s.put("type", "Split");
            s.putObject("pattern").put("Regex", re);
            s.put("behavior", "Isolated").put("invert", false);
        }
        pts.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true).put("use_regex", false);
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", BOS).put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ObjectNode st = post.putObject("special_tokens").putObject(BOS);
        st.put("id", BOS);
        st.putArray("ids").add(0);
        st.putArray("tokens").add(BOS);
        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true).put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE").putNull("dropout").putNull("unk_token").putNull("continuing_subword_prefix")
                .putNull("end_of_word_suffix").put("fuse_unk", false).put("byte_fallback", false).put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        for (int i = 0; i < tokens.size(); i++) vocab.put(tokens.get(i), i);
        ArrayNode mg = model.putArray("merges");
        for (String m : merges) {
            String[] ab = m.split(" ", 2);
            mg.addArray().add(ab[0]).add(ab[1]);
        }
        om.writeValue(dir.resolve("tokenizer.json").toFile(), root);

        ObjectNode tc = om.createObjectNode();
        tc.put("add_bos_token", true).put("add_eos_token", false).put("bos_token", BOS).put("eos_token", EOS)
                .put("pad_token", PAD).putNull("unk_token");
        tc.put("clean_up_tokenization_spaces", false).put("legacy", true).put("model_max_length", 16384)
                .put("tokenizer_class", "PreTrainedTokenizerFast");
        om.writerWithDefaultPrettyPrinter().writeValue(dir.resolve("tokenizer_config.json").toFile(), tc);
    }
}
