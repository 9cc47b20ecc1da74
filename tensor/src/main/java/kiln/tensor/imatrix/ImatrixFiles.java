package kiln.tensor.imatrix;

import kiln.tensor.KilnException;
import kiln.tensor.io.PendingOutput;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** Reads either imatrix format (detected from the content) and writes either, atomically. */
public final class ImatrixFiles {
    private ImatrixFiles() {}

    /** The format of a file: GGUF when it starts with the GGUF magic, else legacy. */
    public static ImatrixFormat detect(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ByteBuffer b = ByteBuffer.allocate(4);
            while (b.hasRemaining() && ch.read(b) > 0) { /* fill */ }
            return b.position() == 4 && b.get(0) == 'G' && b.get(1) == 'G' && b.get(2) == 'U' && b.get(3) == 'F'
                    ? ImatrixFormat.GGUF : ImatrixFormat.DAT;
        } catch (NoSuchFileException e) {
            throw new KilnException(path + ": no such imatrix file");
        } catch (IOException e) {
            throw new KilnException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    public static Imatrix read(Path path) {
        if (detect(path) == ImatrixFormat.GGUF) return GgufImatrixFormat.read(path);
        try {
            return DatImatrixFormat.read(path.toString(), Files.readAllBytes(path));
        } catch (IOException e) {
            throw new KilnException(path + ": cannot read: " + e.getMessage(), e);
        }
    }

    /** Whether a GGUF imatrix carries the metadata llama-quantize requires (datasets, chunk count and size). */
    public static boolean ggufHasMetadata(Path path) {
        return GgufImatrixFormat.hasMetadata(path);
    }

    /**
     * Writes {@code m} in {@code format}. A legacy imatrix written as GGUF needs a chunk size ({@code legacyChunkSize},
     * as mainline's n_ctx when it reads a .dat); a raw one written as .dat uses its own chunk size.
     */
    public static void write(Imatrix m, Path target, ImatrixFormat format, int legacyChunkSize) {
        if (format == ImatrixFormat.GGUF) {
            GgufImatrixFormat.write(ImatrixConvert.toRaw(m, legacyChunkSize), target);
        } else {
            writeAtomically(target, DatImatrixFormat.write(ImatrixConvert.toLegacy(m)));
        }
    }

    static void writeAtomically(Path target, byte[] bytes) {
        try (PendingOutput tmp = PendingOutput.file(target)) {
            try (FileChannel ch = FileChannel.open(tmp.path(), StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS)) {
                ByteBuffer b = ByteBuffer.wrap(bytes);
                while (b.hasRemaining()) ch.write(b);
                ch.force(true);
            } catch (IOException e) {
                throw new KilnException(target + ": cannot write: " + e.getMessage(), e);
            }
            tmp.commit();
        }
    }
}
