package kiln.tensor.io;

import kiln.tensor.KilnException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads a text file a user names (a prompt, an evaluation or calibration text) as UTF-8, with the one-line refusals
 * of the house: no such file, a folder, permission denied, not UTF-8 (with the offset of the first bad byte).
 */
public final class TextFile {
    private TextFile() {}

    public static String read(Path p) {
        if (Files.isDirectory(p)) throw new KilnException(p + ": is a folder; expected a text file");
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(p);
        } catch (NoSuchFileException e) {
            throw new KilnException(p + ": no such text file");
        } catch (AccessDeniedException e) {
            throw new KilnException(p + ": cannot read (permission denied)");
        } catch (IOException e) {
            throw new KilnException(p + ": cannot read: " + e.getMessage(), e);
        }
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length); // UTF-8 never has more chars than bytes
        CoderResult r = dec.decode(in, out, true);
        if (!r.isError()) r = dec.flush(out);
        if (r.isError()) throw new KilnException(p + ": is not UTF-8 text (invalid byte at offset " + in.position() + ")");
        return out.flip().toString();
    }
}
