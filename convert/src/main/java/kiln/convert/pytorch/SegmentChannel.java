package kiln.convert.pytorch;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/** A read-only seekable channel over a memory segment, so Commons Compress can read a ZIP that is mapped or in memory. */
public final class SegmentChannel implements SeekableByteChannel {
    private final MemorySegment bytes;
    private long position;
    private boolean open = true;

    public SegmentChannel(MemorySegment bytes) {
        this.bytes = bytes;
    }

    @Override
    public int read(ByteBuffer dst) {
        long left = bytes.byteSize() - position;
        if (left <= 0) return -1;
        int n = (int) Math.min(left, dst.remaining());
        MemorySegment.ofBuffer(dst).copyFrom(bytes.asSlice(position, n));
        dst.position(dst.position() + n);
        position += n;
        return n;
    }

    @Override public int write(ByteBuffer src) { throw new NonWritableChannelException(); }
    @Override public long position() { return position; }
    @Override public SeekableByteChannel position(long p) { position = p; return this; }
    @Override public long size() { return bytes.byteSize(); }
    @Override public SeekableByteChannel truncate(long size) { throw new NonWritableChannelException(); }
    @Override public boolean isOpen() { return open; }
    @Override public void close() { open = false; }
}
