package kiln.server;

/**
 * DeepSeek-R1's thinking, split from its answer as llama-server's {@code --reasoning-format deepseek} does: text
 * between {@code <think>} (in the generation or at the end of the prompt, as R1's template puts it) and
 * {@code </think>} is {@code reasoning_content}, the rest {@code content} (leading whitespace trimmed). Works on a
 * stream: a partial tag is held back until it is decided.
 */
final class ReasoningSplitter {
    static final String OPEN = "<think>", CLOSE = "</think>";

    /** What one piece of text adds to each side. */
    record Delta(String reasoning, String content) {
        boolean isEmpty() {
            return reasoning.isEmpty() && content.isEmpty();
        }
    }

    private enum State { START, THINK, ANSWER_START, ANSWER }

    private State state;
    private final boolean enabled;
    private final StringBuilder pending = new StringBuilder();

    /**
     * @param enabled      false: everything is content
     * @param promptOpened the rendered prompt ends inside a {@code <think>} block
     */
    ReasoningSplitter(boolean enabled, boolean promptOpened) {
        this.enabled = enabled;
        this.state = !enabled ? State.ANSWER : promptOpened ? State.THINK : State.START;
    }

    /** Whether a rendered prompt leaves the model inside a thinking block (ends with {@code <think>} and whitespace). */
    static boolean opensThinking(String prompt) {
        return prompt.stripTrailing().endsWith(OPEN);
    }

    Delta add(String s) {
        pending.append(s);
        return drain(false);
    }

    Delta finish() {
        return drain(true);
    }

    private Delta drain(boolean last) {
        StringBuilder r = new StringBuilder(), c = new StringBuilder();
        boolean progress = true;
        while (progress) {
            progress = false;
            switch (state) {
                case START -> {
                    String lead = pending.toString().stripLeading();
                    if (lead.startsWith(OPEN)) {
                        pending.delete(0, pending.indexOf(OPEN) + OPEN.length());
                        state = State.THINK;
                        progress = true;
                    } else if (last || !OPEN.startsWith(lead)) {
                        state = State.ANSWER;
                        progress = true;
                    }
                }
                case THINK -> {
                    int i = pending.indexOf(CLOSE);
                    if (i >= 0) {
                        r.append(pending, 0, i);
                        pending.delete(0, i + CLOSE.length());
                        state = State.ANSWER_START;
                        progress = true;
                    } else {
                        int keep = last ? 0 : partialTag(pending, CLOSE);
                        r.append(pending, 0, pending.length() - keep);
                        pending.delete(0, pending.length() - keep);
                    }
                }
                case ANSWER_START -> {
                    int i = 0;
                    while (i < pending.length() && Character.isWhitespace(pending.charAt(i))) i++;
                    pending.delete(0, i);
                    if (!pending.isEmpty()) {
                        state = State.ANSWER;
                        progress = true;
                    }
                }
                case ANSWER -> {
                    c.append(pending);
                    pending.setLength(0);
                }
            }
        }
        return new Delta(r.toString(), c.toString());
    }

    /** Length of the longest end of s that is a proper start of tag. */
    private static int partialTag(CharSequence s, String tag) {
        for (int k = Math.min(tag.length() - 1, s.length()); k > 0; k--) {
            boolean match = true;
            for (int j = 0; j < k && match; j++) match = s.charAt(s.length() - k + j) == tag.charAt(j);
            if (match) return k;
        }
        return 0;
    }

    boolean enabled() {
        return enabled;
    }
}
