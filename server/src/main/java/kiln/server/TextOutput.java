package kiln.server;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Generated tokens' bytes turned into text that is safe to send: an incomplete UTF-8 sequence is held back until it
 * is complete, and so is any end of the text that could be the start of a stop string. When a stop string appears
 * the text ends before it ({@link #stopped()}).
 */
final class TextOutput {
    private final List<String> stops;
    private final ByteArrayOutputStream pendingBytes = new ByteArrayOutputStream();
    private final StringBuilder text = new StringBuilder();
    private int sent;
    private boolean stopped;

    TextOutput(List<String> stops) {
        this.stops = stops;
    }

    /** Adds a token's bytes; returns the new text that can be sent now (maybe empty). */
    String add(byte[] piece) {
        if (stopped) return "";
        pendingBytes.writeBytes(piece);
        byte[] all = pendingBytes.toByteArray();
        int complete = kiln.runtime.cli.Utf8.completePrefix(all);
        text.append(new String(all, 0, complete, StandardCharsets.UTF_8));
        pendingBytes.reset();
        pendingBytes.write(all, complete, all.length - complete);
        int from = Math.max(0, sent - longestStop());
        int first = -1;
        for (String stop : stops) {
            int i = text.indexOf(stop, from);
            if (i >= 0 && (first < 0 || i < first)) first = i;
        }
        if (first >= 0) {
            text.setLength(first);
            stopped = true;
        }
        int safe = stopped ? text.length() : text.length() - heldForStop();
        return take(Math.max(safe, sent));
    }

    /** At the end of generation: whatever is still held back (an unfinished stop string is just text). */
    String finish() {
        if (!stopped && pendingBytes.size() > 0) text.append(pendingBytes.toString(StandardCharsets.UTF_8));
        pendingBytes.reset();
        return take(text.length());
    }

    boolean stopped() {
        return stopped;
    }

    String text() {
        return text.toString();
    }

    private String take(int upTo) {
        String s = text.substring(sent, upTo);
        sent = upTo;
        return s;
    }

    private int longestStop() {
        int m = 0;
        for (String s : stops) m = Math.max(m, s.length());
        return m;
    }

    /** Length of the longest end of the text that is a proper start of some stop string. */
    private int heldForStop() {
        int held = 0;
        String t = text.toString();
        for (String stop : stops) {
            for (int k = Math.min(stop.length() - 1, t.length()); k > held; k--) {
                if (t.regionMatches(t.length() - k, stop, 0, k)) {
                    held = k;
                    break;
                }
            }
        }
        return held;
    }
}
