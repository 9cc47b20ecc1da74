package kiln.runtime.tokenizer;

/**
 * GPT-2's byte ↔ unicode mapping (bytes_to_unicode): every byte gets a printable code point, so a byte string
 * becomes a string of visible characters that BPE merges operate on. Same table as llama.cpp's unicode.cpp.
 */
final class ByteUnicode {
    private ByteUnicode() {}

    private static final int[] BYTE_TO_CP = new int[256];
    private static final int[] CP_TO_BYTE = new int[0x200];

    static {
        java.util.Arrays.fill(CP_TO_BYTE, -1);
        boolean[] direct = new boolean[256];
        for (int b = '!'; b <= '~'; b++) direct[b] = true;
        for (int b = 0xA1; b <= 0xAC; b++) direct[b] = true;
        for (int b = 0xAE; b <= 0xFF; b++) direct[b] = true;
        int n = 0;
        for (int b = 0; b < 256; b++) {
            int cp = direct[b] ? b : 256 + n++;
            BYTE_TO_CP[b] = cp;
            CP_TO_BYTE[cp] = b;
        }
    }

    static int codePointOf(int b) {
        return BYTE_TO_CP[b & 0xFF];
    }

    /** The byte for a mapped code point, or -1 when the code point is not part of the mapping. */
    static int byteOf(int cp) {
        return cp >= 0 && cp < CP_TO_BYTE.length ? CP_TO_BYTE[cp] : -1;
    }

    /** UTF-8 bytes of a word mapped to the visible string. */
    static String encode(byte[] utf8) {
        StringBuilder sb = new StringBuilder(utf8.length);
        for (byte b : utf8) sb.appendCodePoint(codePointOf(b));
        return sb.toString();
    }
}
