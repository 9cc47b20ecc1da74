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
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
