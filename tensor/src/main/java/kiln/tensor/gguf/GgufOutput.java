package kiln.tensor.gguf;

import kiln.tensor.KilnException;
import kiln.tensor.io.PendingOutput;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Writes one GGUF file from a {@link GgufLayout}, streaming and atomically: data goes to a fresh temporary file
 * beside {@code OUT} ({@link PendingOutput}) with positional writes (thread-safe, so tensors can be produced in parallel and in any order), and only
 * {@link #commit()} — after checking that every tensor got exactly its bytes — fsyncs and renames it to
 * {@code OUT}. Closing without commit deletes the temporary file, so a failed run leaves nothing behind.
 */
public final class GgufOutput implements AutoCloseable {
    private static final int CHUNK = 1 << 26;

    private final Path target;
    private final PendingOutput tmp;
    private final GgufLayout layout;
    private final FileChannel ch;
    private final AtomicLongArray written;
    private boolean committed;

    private GgufOutput(Path target, GgufLayout layout) throws IOException {
        this.target = target;
        this.layout = layout;
        this.tmp = PendingOutput.file(target);
        try {
            this.ch = FileChannel.open(tmp.path(), StandardOpenOption.WRITE, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS);
        } catch (IOException | RuntimeException e) {
            tmp.close();
            throw e;
        }
        this.written = new AtomicLongArray(layout.tensors().size());
        try {
            writeFully(ByteBuffer.wrap(layout.headerBytes()), 0);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    public static GgufOutput create(Path target, GgufLayout layout) {
        try {
            return new GgufOutput(target, layout);
        } catch (IOException e) {
            throw new KilnException(target + ": cannot write: " + e.getMessage(), e);
        }
    }

    public GgufLayout layout() {
        return layout;
    }

    public Path target() {
        return target;
    }

    /** Writes {@code src} into tensor {@code index} at byte {@code offsetInTensor}. Thread-safe. */
    public void write(int index, long offsetInTensor, MemorySegment src) {
        TensorInfo t = layout.tensors().get(index);
        long n = src.byteSize();
        if (offsetInTensor < 0 || offsetInTensor + n > t.byteSize()) {
            throw new IllegalArgumentException("write of " + n + " bytes at " + offsetInTensor + " is outside tensor '" + t.name()
                    + "' of " + t.byteSize() + " bytes");
        }
        long pos = layout.position(index) + offsetInTensor;
        for (long done = 0; done < n; done += CHUNK) {
            long len = Math.min(CHUNK, n - done);
            writeFully(src.asSlice(done, len).asByteBuffer(), pos + done);
        }
        written.addAndGet(index, n);
    }

    /** Writes a whole tensor at once. */
    public void write(int index, MemorySegment src) {
        write(index, 0, src);
    }

    public void write(int index, long offsetInTensor, byte[] src) {
        write(index, offsetInTensor, MemorySegment.ofArray(src));
    }

    private void writeFully(ByteBuffer buf, long pos) {
        try {
            while (buf.hasRemaining()) pos += ch.write(buf, pos);
        } catch (IOException e) {
            throw new KilnException(target + ": write failed: " + e.getMessage() + (isDiskFull(e) ? " (disk full?)" : ""), 1, e);
        }
    }

    private static boolean isDiskFull(IOException e) {
        String m = String.valueOf(e.getMessage());
        return m.contains("No space left") || m.contains("Disk quota");
    }

    /** Checks completeness, writes the trailing padding, fsyncs and atomically renames to the target. */
    public void commit() {
        for (int i = 0; i < layout.tensors().size(); i++) {
            TensorInfo t = layout.tensors().get(i);
            if (written.get(i) != t.byteSize()) {
                throw new IllegalStateException("tensor '" + t.name() + "' got " + written.get(i) + " of " + t.byteSize() + " bytes");
            }
        }
        try {
            if (ch.size() < layout.fileSize()) writeFully(ByteBuffer.allocate(1), layout.fileSize() - 1);
            ch.force(true);
            ch.close();
            tmp.commit();
            committed = true;
        } catch (IOException e) {
            throw new KilnException(target + ": cannot finish writing: " + e.getMessage(), 1, e);
        }
    }

    @Override
    public void close() {
        if (committed) return;
        try {
            ch.close();
        } catch (IOException ignored) {
            // the temporary file is removed below either way
        }
        tmp.close();
    }
}
