package kiln.server;

import kiln.runtime.model.Model;
import kiln.runtime.sample.Sampler;
import kiln.server.ChatTemplate.Message;
import kiln.tensor.KilnException;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A conversation with a model in this process ({@code kiln chat}): each turn renders the whole conversation with the
 * chat template, evaluates only the tokens after what the cache already holds, and generates the reply; the
 * reply's answer (thinking left out, as the templates expect) joins the history.
 */
final class ChatSession {
    private final Model model;
    private final ServedModel served;
    private final Sampler sampler;
    private final int maxTokens;
    private final List<Message> history = new ArrayList<>();
    private final String system;
    private final int[] cache;
    private int nPast;
    private final float[] logits;

    ChatSession(Model model, ChatTemplate template, java.util.function.IntPredicate endOfGeneration, Sampler sampler, int maxTokens, String system) {
        this.model = model;
        this.served = new ServedModel(model, "chat", template, true, endOfGeneration);
        this.sampler = sampler;
        this.maxTokens = maxTokens < 0 ? Integer.MAX_VALUE : maxTokens;
        this.system = system;
        this.cache = new int[model.nCtx()];
        this.logits = new float[model.nVocab()];
        reset();
    }

    void reset() {
        history.clear();
        if (system != null && !system.isEmpty()) history.add(new Message("system", system));
    }

    /** One turn: the reply's text goes to {@code onText} as it is generated; returns the whole reply. */
    String reply(String user, Consumer<String> onText) {
        List<Message> next = new ArrayList<>(history);
        next.add(new Message("user", user));
        String prompt = served.render(next);
        int[] ids = served.tokenize(prompt);
        if (ids.length >= model.nCtx()) {
            throw new KilnException("the conversation is " + ids.length + " tokens and no longer fits the context of " + model.nCtx()
                    + " (-c); /reset starts a new one");
        }
        int k = 0;
        while (k < nPast && k < ids.length - 1 && cache[k] == ids[k]) k++;
        model.evaluate(ids, k, ids.length - k, k, logits, false);
        System.arraycopy(ids, k, cache, k, ids.length - k);
        nPast = ids.length;
        TextOutput text = new TextOutput(List.of());
        ReasoningSplitter split = new ReasoningSplitter(true, ReasoningSplitter.opensThinking(prompt));
        StringBuilder answer = new StringBuilder();
        int[] one = new int[1];
        for (int n = 0; n < maxTokens; n++) {
            int tok = sampler.sample(logits);
            if (served.endOfGeneration.test(tok)) break;
            String t = text.add(model.tokenizer().piece(tok));
            onText.accept(t);
            answer.append(split.add(t).content());
            if (nPast >= model.nCtx()) break;
            one[0] = tok;
            model.evaluate(one, 0, 1, nPast, logits, false);
            cache[nPast++] = tok;
        }
        String rest = text.finish();
        onText.accept(rest);
        answer.append(split.add(rest).content()).append(split.finish().content());
        history.add(new Message("user", user));
        history.add(new Message("assistant", answer.toString()));
        return text.text();
    }
}
