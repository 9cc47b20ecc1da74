package kiln.runtime.tokenizer;

import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufMetadata;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.GgufValueType;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;

/**
 * Byte-level BPE tokenizer built from GGUF metadata ({@code tokenizer.ggml.model = gpt2}), encoding and decoding
 * as llama.cpp's {@code llm_tokenizer_bpe} and {@code token_to_piece}: pre-tokenizer split, byte→unicode
 * mapping, merges by rank (lowest rank first, leftmost first on ties), unknown symbols fall back to one token
 * per byte; BOS prepended when {@code tokenizer.ggml.add_bos_token} says so.
 */
public final class Tokenizer {
    public static final int TYPE_NORMAL = 1, TYPE_UNKNOWN = 2, TYPE_CONTROL = 3, TYPE_USER_DEFINED = 4, TYPE_UNUSED = 5, TYPE_BYTE = 6;

    private final String[] tokens;
    private final int[] types;
    private final Map<String, Integer> ids = new HashMap<>();
    private final Map<String, Integer> mergeRank = new HashMap<>();
    private final PreTokenizer pre;
    private final int[] specialsByLength;
    private final int bos, eos;
    private final boolean addBos, addEos;

    /** A key that must be an array of strings (a damaged file may hold anything there). */
    private static String[] strings(GgufMetadata md, String key, String file) {
        GgufValue v = md.get(key);
        if (v == null) throw new KilnException(file + ": missing tokenizer metadata (" + key + ")");
        if (!v.isArray() || v.elementType() != GgufValueType.STRING) {
            throw new KilnException(file + ": " + key + " is " + v.type().shortName() + (v.isArray() ? "[" + v.elementType().shortName() + "]" : "")
                    + "; expected an array of strings");
        }
        return v.asStrings();
    }

    private Tokenizer(String[] tokens, int[] types, String[] merges, PreTokenizer pre, int bos, int eos, boolean addBos, boolean addEos) {
        this.tokens = tokens;
        this.types = types;
        for (int i = 0; i < tokens.length; i++) ids.putIfAbsent(tokens[i], i);
        for (int i = 0; i < merges.length; i++) {
            String m = merges[i];
            int sp = m.indexOf(' ', 1);
            if (sp < 0) continue;
            mergeRank.putIfAbsent(m.substring(0, sp) + "\u0000" + m.substring(sp + 1), i);
        }
        List<Integer> sp = new ArrayList<>();
        for (int i = 0; i < tokens.length; i++) {
            if ((types[i] == TYPE_CONTROL || types[i] == TYPE_USER_DEFINED) && !tokens[i].isEmpty()) sp.add(i);
        }
        sp.sort((a, b) -> Integer.compare(tokens[b].length(), tokens[a].length()));
        this.specialsByLength = sp.stream().mapToInt(Integer::intValue).toArray();
        this.pre = pre;
        this.bos = bos;
        this.eos = eos;
        this.addBos = addBos;
        this.addEos = addEos;
    }

    /** Reads the tokenizer from a model's metadata; {@code file} names the file in error messages. */
    public static Tokenizer fromMetadata(GgufMetadata md, String file) {
        String model = md.getString("tokenizer.ggml.model", null);
        if (model == null) throw new KilnException(file + ": missing tokenizer metadata (tokenizer.ggml.model); Kiln needs the vocabulary in the GGUF");
        if (!model.equals("gpt2")) {
            throw new KilnException(file + ": tokenizer.ggml.model '" + model + "' is not supported; Kiln runs byte-level BPE ('gpt2') tokenizers");
        }
        String[] tokens = strings(md, "tokenizer.ggml.tokens", file);
        String[] merges = strings(md, "tokenizer.ggml.merges", file);
        int[] types = new int[tokens.length];
        GgufValue ty = md.get("tokenizer.ggml.token_type");
        if (ty != null && (!ty.isArray() || ty.elementType() == GgufValueType.STRING || ty.elementType().name().startsWith("FLOAT")
                || ty.elementType() == GgufValueType.BOOL)) {
            throw new KilnException(file + ": tokenizer.ggml.token_type is " + ty.type().shortName()
                    + (ty.isArray() ? "[" + ty.elementType().shortName() + "]" : "") + "; expected an array of integers");
        }
        for (int i = 0; i < tokens.length; i++) types[i] = ty != null && i < ty.length() ? (int) ty.longAt(i) : TYPE_NORMAL;
        String preName = md.getString("tokenizer.ggml.pre", "default");
        int bos = (int) md.getLong("tokenizer.ggml.bos_token_id", 11);
        int eos = (int) md.getLong("tokenizer.ggml.eos_token_id", 11);
        // llama.cpp: BPE vocabularies add BOS unless the file says otherwise
        boolean addBos = md.getBool("tokenizer.ggml.add_bos_token", true);
        boolean addEos = md.getBool("tokenizer.ggml.add_eos_token", false);
        if (bos < 0 || bos >= tokens.length) throw new KilnException(file + ": tokenizer.ggml.bos_token_id " + bos + " is outside the vocabulary of " + tokens.length);
        return new Tokenizer(tokens, types, merges, PreTokenizer.forPre(preName, file), bos, eos, addBos, addEos);
    }

    public int vocabSize() {
        return tokens.length;
    }

    public int bos() {
        return bos;
    }

    public int eos() {
        return eos;
    }

    public boolean addsBos() {
        return addBos;
    }

    public boolean isEog(int id) {
        return id == eos;
    }

    /** Tokenizes like {@code common_tokenize(ctx, text, add_special, parse_special=false)}. */
    public int[] encode(String text, boolean addSpecial) {
        return encode(text, addSpecial, false);
    }

    /**
     * Tokenizes like {@code common_tokenize(ctx, text, add_special, parse_special)}. With parseSpecial (what
     * llama-cli does for prompts), the text of a control or user-defined token becomes that token
     * (llama.cpp's tokenizer_st_partition: longest special texts first); otherwise user-defined tokens are
     * still matched and control tokens are plain text.
     */
    public int[] encode(String text, boolean addSpecial, boolean parseSpecial) {
        List<Integer> out = new ArrayList<>();
        if (addSpecial && addBos) out.add(bos);
        List<Object> fragments = new ArrayList<>();
        fragments.add(text);
        for (int id : specialsByLength) {
            if (types[id] == TYPE_CONTROL && !parseSpecial) continue;
            String st = tokens[id];
            List<Object> next = new ArrayList<>();
            for (Object f : fragments) {
                if (!(f instanceof String str)) {
                    next.add(f);
                    continue;
                }
                int from = 0;
                for (int at; (at = str.indexOf(st, from)) >= 0; from = at + st.length()) {
                    if (at > from) next.add(str.substring(from, at));
                    next.add(id);
                }
                if (from < str.length()) next.add(str.substring(from));
            }
            fragments = next;
        }
        for (Object f : fragments) {
            if (f instanceof Integer id) out.add(id);
            else for (String word : pre.split((String) f)) encodeWord(word, out);
        }
        if (addSpecial && addEos) out.add(eos);
        int[] r = new int[out.size()];
        for (int i = 0; i < r.length; i++) r[i] = out.get(i);
        return r;
    }

    private void encodeWord(String word, List<Integer> out) {
        String mapped = ByteUnicode.encode(word.getBytes(StandardCharsets.UTF_8));
        // symbols: one per code point of the mapped word, linked list
        int n = mapped.codePointCount(0, mapped.length());
        String[] sym = new String[n];
        int[] prev = new int[n], next = new int[n];
        for (int i = 0, off = 0; i < n; i++) {
            int cp = mapped.codePointAt(off);
            int len = Character.charCount(cp);
            sym[i] = mapped.substring(off, off + len);
            off += len;
            prev[i] = i - 1;
            next[i] = i + 1 < n ? i + 1 : -1;
        }
        // bigram queue ordered by (rank, left index); stale entries are skipped when their text no longer matches
        PriorityQueue<Bigram> q = new PriorityQueue<>((a, b) -> a.rank != b.rank ? Integer.compare(a.rank, b.rank) : Integer.compare(a.left, b.left));
        for (int i = 0; i + 1 < n; i++) addBigram(q, sym, i, i + 1);
        while (!q.isEmpty()) {
            Bigram bg = q.poll();
            int l = bg.left, r = bg.right;
            if (sym[l] == null || sym[r] == null || next[l] != r) continue;
            if (!(sym[l] + sym[r]).equals(bg.text)) continue;
            sym[l] = sym[l] + sym[r];
            sym[r] = null;
            next[l] = next[r];
            if (next[r] >= 0) prev[next[r]] = l;
            if (prev[l] >= 0) addBigram(q, sym, prev[l], l);
            if (next[l] >= 0) addBigram(q, sym, l, next[l]);
        }
        for (int i = 0; i >= 0 && i < n; i = next[i]) {
            Integer id = ids.get(sym[i]);
            if (id != null) {
                out.add(id);
                continue;
            }
            // llama.cpp: a symbol without a token is emitted byte by byte
            for (int k = 0; k < sym[i].length(); ) {
                int cp = sym[i].codePointAt(k);
                k += Character.charCount(cp);
                Integer b = ids.get(new String(Character.toChars(cp)));
                if (b != null) out.add(b);
            }
        }
    }

    private record Bigram(int left, int right, int rank, String text) {}

    private void addBigram(PriorityQueue<Bigram> q, String[] sym, int l, int r) {
        Integer rank = mergeRank.get(sym[l] + "\u0000" + sym[r]);
        if (rank != null) q.add(new Bigram(l, r, rank, sym[l] + sym[r]));
    }

    /** The bytes a token stands for (llama.cpp token_to_piece, special = false: control tokens give nothing). */
    public byte[] piece(int id) {
        if (id < 0 || id >= tokens.length) return new byte[0];
        int type = types[id];
        if (type == TYPE_CONTROL || type == TYPE_UNUSED) return new byte[0];
        String t = tokens[id];
        if (type == TYPE_USER_DEFINED) return t.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream bo = new ByteArrayOutputStream(t.length());
        for (int k = 0; k < t.length(); ) {
            int cp = t.codePointAt(k);
            k += Character.charCount(cp);
            int b = ByteUnicode.byteOf(cp);
            if (b >= 0) bo.write(b);
            else bo.writeBytes(new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8));
        }
        return bo.toByteArray();
    }

    /** Decodes token ids to text (invalid UTF-8 replaced). */
    public String decode(int[] ids) {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        for (int id : ids) bo.writeBytes(piece(id));
        return bo.toString(StandardCharsets.UTF_8);
    }

    public String tokenText(int id) {
        return tokens[id];
    }
}
