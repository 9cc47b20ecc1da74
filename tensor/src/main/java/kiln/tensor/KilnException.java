package kiln.tensor;

/**
 * A user-facing failure: bad input or bad usage. The CLI prints {@link #getMessage()} as one line and
 * exits with {@link #exitCode()} (2 unless stated otherwise). Messages name the file, tensor or key and
 * what was expected.
 */
public class KilnException extends RuntimeException {
    private final int exitCode;

    public KilnException(String message) {
        this(message, 2, null);
    }

    public KilnException(String message, Throwable cause) {
        this(message, 2, cause);
    }

    public KilnException(String message, int exitCode, Throwable cause) {
        super(printable(message, MAX_MESSAGE), cause);
        this.exitCode = exitCode;
    }

    /** Longest message kept; names read from a damaged file can be up to 2^30 bytes of anything. */
    static final int MAX_MESSAGE = 2000;

    /** Text as one printable line: control characters escaped, cut after {@code max} characters ("…"). */
    public static String printable(String message, int max) {
        if (message == null) return null;
        StringBuilder sb = new StringBuilder(Math.min(message.length(), max + 16));
        for (int i = 0; i < message.length() && sb.length() < max; i++) {
            char c = message.charAt(i);
            if (c == '\n') sb.append("\\n");
            else if (c == '\r') sb.append("\\r");
            else if (c == '\t') sb.append("\\t");
            else if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xA0) || c == '\u2028' || c == '\u2029') sb.append(String.format("\\u%04x", (int) c));
            else sb.append(c);
        }
        if (sb.length() >= max && message.length() > max) sb.append("…");
        return sb.toString();
    }

    public int exitCode() {
        return exitCode;
    }
}
