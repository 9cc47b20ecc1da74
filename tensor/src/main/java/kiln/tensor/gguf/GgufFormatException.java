package kiln.tensor.gguf;

import kiln.tensor.KilnException;

/** A GGUF file that does not follow the format; the message names the file, the place and the problem. */
public final class GgufFormatException extends KilnException {
    private final long position;

    public GgufFormatException(String file, long position, String problem) {
        super(file + ": " + printable(problem, 400) + (position >= 0 ? " (at byte " + position + ")" : ""));
        this.position = position;
    }

    /** Byte position in the file where the problem was found, or -1. */
    public long position() {
        return position;
    }
}
