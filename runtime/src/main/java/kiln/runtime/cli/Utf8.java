package kiln.runtime.cli;

/** UTF-8 boundaries for text streamed token by token (a token's bytes may end inside a character). */
public final class Utf8 {
    private Utf8() {}

    /** Bytes of b up to the start of an incomplete trailing UTF-8 sequence (all of b when it ends on a character). */
    public static int completePrefix(byte[] b) {
        int n = b.length;
        for (int back = 1; back <= Math.min(3, n); back++) {
            int c = b[n - back] & 0xFF;
            if ((c & 0xC0) == 0x80) continue;
            int need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            return need > back ? n - back : n;
        }
        return n;
    }
}
