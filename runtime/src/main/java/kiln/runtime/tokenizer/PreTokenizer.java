package kiln.runtime.tokenizer;

import kiln.tensor.KilnException;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Splits text into words before BPE, as llama.cpp's {@code unicode_regex_split}: each regex of the list refines
 * the pieces produced by the previous one; text between matches becomes a piece of its own.
 *
 * <p>llama.cpp runs regexes with Unicode categories over a "collapsed" text in which ASCII characters keep their
 * own class table: '~' is neither punctuation nor symbol there. The Java classes below reproduce that.
 */
public final class PreTokenizer {
    // llama.cpp's ASCII tables (unicode.cpp k_ucat_map): P = !-#%-*,-/:;?@[-]_{}, S = $+<=>^`|
    private static final String PS_CLASS = "(?:[\\p{P}\\p{S}&&[^\\x00-\\x7F]]|[!-#%-*,-/:;?@\\[-\\]_{}$+<=>^`|])";
    /** One code point that is not CR, LF, a letter, or (llama.cpp's) punctuation/symbol. */
    private static final String NOT_CRLF_L_PS = "(?:(?![\r\n\\p{L}]|" + PS_CLASS + ")[\\s\\S])";

    private final List<Pattern> patterns;
    private final String name;

    private PreTokenizer(String name, List<String> regexes) {
        this.name = name;
        this.patterns = new ArrayList<>();
        for (String r : regexes) patterns.add(Pattern.compile(r, Pattern.UNICODE_CHARACTER_CLASS));
    }

    public String name() {
        return name;
    }

    /** The pre-tokenizer for a {@code tokenizer.ggml.pre} value. */
    public static PreTokenizer forPre(String pre, String file) {
        return switch (pre) {
            case "deepseek-v3" -> new PreTokenizer(pre, List.of(
                    "\\p{N}{1,3}",
                    "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+",
                    "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+"
                            + "|" + NOT_CRLF_L_PS + "?[\\p{L}\\p{M}]+"
                            + "| ?" + PS_CLASS + "+[\r\n]*"
                            + "|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"));
            case "deepseek-llm" -> new PreTokenizer(pre, List.of(
                    "[\r\n]",
                    "\\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]+",
                    "\\s?[!-/:-~！-／：-～‘-‟　-。]+",
                    "\\s+$",
                    "[一-龥ࠀ-一가-퟿]+",
                    "\\p{N}+"));
            case "llama3", "llama-bpe", "llama-v3" -> new PreTokenizer(pre, List.of(
                    "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}"
                            + "| ?[^\\s\\p{L}\\p{N}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+"));
            case "gpt2", "default" -> new PreTokenizer(pre, List.of(
                    "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"));
            default -> throw new KilnException(file + ": tokenizer.ggml.pre '" + pre
                    + "' is not supported; Kiln knows: deepseek-v3, deepseek-llm, llama3 (llama-bpe), gpt2");
        };
    }

    /** Splits text into pre-tokenizer pieces (Java strings of code points). */
    public List<String> split(String text) {
        List<int[]> pieces = new ArrayList<>();
        pieces.add(new int[] {0, text.length()});
        for (Pattern p : patterns) {
            List<int[]> next = new ArrayList<>();
            Matcher m = p.matcher(text);
            for (int[] piece : pieces) {
                int start = piece[0], end = piece[1];
                m.region(start, end);
                int last = start;
                while (m.find()) {
                    if (m.end() == m.start()) {
                        // an empty match never produces a piece; step over one code point as std::regex does
                        if (m.end() >= end) break;
                        continue;
                    }
                    if (m.start() > last) next.add(new int[] {last, m.start()});
                    next.add(new int[] {m.start(), m.end()});
                    last = m.end();
                }
                if (last < end) next.add(new int[] {last, end});
            }
            pieces = next;
        }
        List<String> out = new ArrayList<>(pieces.size());
        for (int[] piece : pieces) out.add(text.substring(piece[0], piece[1]));
        return out;
    }
}
