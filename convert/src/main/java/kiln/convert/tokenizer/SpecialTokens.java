package kiln.convert.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import kiln.convert.hf.JsonDoc;
import kiln.convert.source.HfSource;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Special token ids, add-BOS/EOS/SEP flags and the chat template, discovered in gguf-py SpecialVocab's order:
 * tokenizer.json's post-processor, tokenizer_config.json, then config.json's *_token_id.
 */
record SpecialTokens(Map<String, Integer> ids, Map<String, Boolean> addFlags, String chatTemplate) {

    static SpecialTokens read(JsonDoc tok, JsonDoc tcfg, JsonDoc config, JsonNode addedTokens, int nVocab, HfSource src) {
        Map<String, Integer> ids = new LinkedHashMap<>();
        Map<String, Boolean> add = new LinkedHashMap<>();
        Map<String, String> cfgTokens = new LinkedHashMap<>();
        if (tcfg != null) {
            for (String t : new String[]{"bos", "eos", "unk", "sep", "pad", "cls", "mask"}) {
                String c = content(tcfg.root().get(t + "_token"));
                if (c != null) cfgTokens.put(t, c);
            }
        }
        String bos = cfgTokens.get("bos"), eos = cfgTokens.get("eos"), cls = cfgTokens.get("cls"), sep = cfgTokens.get("sep");
        if (bos == null && cls != null && tcfg != null) cfgTokens.put("bos", bos = cls);
        if (eos == null && sep != null && tcfg != null) cfgTokens.put("eos", eos = sep);
        JsonNode pp = tok.get("post_processor");
        if (pp != null) {
            Iterable<JsonNode> procs = pp.has("processors") ? pp.get("processors") : java.util.List.of(pp);
            for (JsonNode proc : procs) {
                String type = proc.path("type").asText();
                if (type.equals("RobertaProcessing")) {
                    add.put("bos", true);
                    add.put("eos", true);
                    add.put("sep", true);
                    continue;
                }
                if (!type.equals("TemplateProcessing")) continue;
                JsonNode single = proc.path("single");
                JsonNode pair = proc.path("pair");
                String first = null, last = null;
                if (single.size() > 1) {
                    first = specialId(single.get(0));
                    if (first != null) {
                        if (tcfg == null) bos = first;
                        add.put("bos", first.equals(bos) || first.equals(cls));
                    }
                    last = specialId(single.get(single.size() - 1));
                    if (last != null) {
                        if (tcfg == null) eos = last;
                        add.put("eos", last.equals(eos));
                    }
                }
                if (pair.size() > 0) {
                    int start = first != null && first.equals(specialId(pair.get(0))) ? 1 : 0;
                    int stop = last != null && last.equals(specialId(pair.get(pair.size() - 1))) ? pair.size() - 1 : pair.size();
                    if (stop - start > 0) {
                        String a = pair.get(start).path("Sequence").path("id").asText(null);
                        String b = pair.get(stop - 1).path("Sequence").path("id").asText(null);
                        if ("A".equals(a) && "B".equals(b) && stop - start > 2) {
                            boolean addSep = false;
                            String e1 = specialId(pair.get(start + 1));
                            if (e1 != null && (e1.equals(sep) || e1.equals(eos)) && last == null) addSep = true;
                            if (stop - start - 2 == 2) {
                                String e2 = specialId(pair.get(start + 2));
                                if (e2 != null && (e2.equals(sep) || e2.equals(eos))) addSep = true;
                            }
                            add.put("sep", addSep);
                        }
                    }
                }
            }
        }
        String chat = null;
        if (tcfg != null) {
            for (String t : new String[]{"bos", "eos", "unk", "sep", "pad", "cls", "mask"}) {
                JsonNode a = tcfg.root().get("add_" + t + "_token");
                if (a != null && a.isBoolean()) add.put(t, a.asBoolean());
                String c = t.equals("bos") ? bos : t.equals("eos") ? eos : cfgTokens.get(t);
                if (c == null) continue;
                if (addedTokens != null) {
                    for (JsonNode at : addedTokens) {
                        if (c.equals(at.path("content").asText(null))) {
                            setId(ids, t, at.path("id").asInt(), nVocab);
                            break;
                        }
                    }
                }
            }
            JsonNode ct = tcfg.root().get("chat_template");
            if (ct != null && ct.isTextual()) chat = ct.asText();
            if (chat == null) chat = src.file("chat_template.jinja").map(b -> new String(b, StandardCharsets.UTF_8)).orElse(null);
        }
        for (String t : new String[]{"bos", "eos", "unk", "sep", "pad", "cls", "mask"}) {
            Long id = config.optLong(t + "_token_id");
            if (id != null) setId(ids, t, id.intValue(), nVocab);
        }
        return new SpecialTokens(ids, add, chat);
    }

    private static void setId(Map<String, Integer> ids, String type, int id, int nVocab) {
        if (id < 0 || id >= nVocab || ids.containsKey(type)) return;
        ids.put(type, id);
    }

    private static String specialId(JsonNode n) {
        JsonNode id = n == null ? null : n.path("SpecialToken").path("id");
        return id != null && id.isTextual() && !id.asText().isEmpty() ? id.asText() : null;
    }

    private static String content(JsonNode n) {
        if (n == null || n.isNull()) return null;
        if (n.isTextual()) return n.asText();
        if (n.isObject() && n.path("content").isTextual()) return n.get("content").asText();
        return null;
    }
}
