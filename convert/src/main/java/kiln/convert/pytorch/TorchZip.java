package kiln.convert.pytorch;

import kiln.tensor.KilnException;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipFile;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.Map;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * The ZIP container of a PyTorch {@code .bin} ({@code torch.save} since 1.6): {@code <root>/data.pkl}, the pickled
 * state dict, and {@code <root>/data/<key>}, one raw little-endian storage each. {@link #open} reads the central
 * directory once with Commons Compress over the file's bytes and keeps only where each storage lies, so storages
 * can later be taken from any segment holding the same bytes: stored (uncompressed) entries — what torch writes —
 * as zero-copy slices, deflated ones (a re-zipped file) inflated off-heap one at a time.
 */
public final class TorchZip {
    private static final long MAX_PICKLE = 1L << 30;

    private record Item(int method, long dataOffset, long compressedSize, long size) {}

    private final String file;
    private final Map<String, Item> storages;
    private final byte[] pickle;

    private TorchZip(String file, Map<String, Item> storages, byte[] pickle) {
        this.file = file;
        this.storages = storages;
        this.pickle = pickle;
    }

    /** Reads the container held in {@code bytes} (the whole .bin); {@code file} names it in messages. */
    public static TorchZip open(String file, MemorySegment bytes) {
        if (bytes.byteSize() < 4 || bytes.get(ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0) != 0x04034b50) {
            throw new KilnException(file + ": not a PyTorch ZIP checkpoint (no ZIP signature; the legacy pre-1.6 torch.save format is not supported)");
        }
        try (ZipFile zip = ZipFile.builder().setSeekableByteChannel(new SegmentChannel(bytes)).get()) {
            String root = null;
            Map<String, ZipArchiveEntry> all = new HashMap<>();
            for (Enumeration<ZipArchiveEntry> en = zip.getEntries(); en.hasMoreElements(); ) {
                ZipArchiveEntry e = en.nextElement();
                String n = e.getName();
                all.put(n, e);
                if (n.equals("data.pkl") || n.endsWith("/data.pkl") && n.indexOf('/') == n.length() - "/data.pkl".length()) {
                    if (root != null) throw new KilnException(file + ": more than one data.pkl in the checkpoint");
                    root = n.substring(0, n.length() - "data.pkl".length());
                }
            }
            if (root == null) throw new KilnException(file + ": no data.pkl in the ZIP (not a torch.save checkpoint)");
            checkByteOrder(file, zip, all.get(root + "byteorder"));
            byte[] pickle = readPickle(file, zip, all.get(root + "data.pkl"));
            Map<String, Item> storages = new HashMap<>();
            String prefix = root + "data/";
            for (Map.Entry<String, ZipArchiveEntry> me : all.entrySet()) {
                if (!me.getKey().startsWith(prefix)) continue;
                ZipArchiveEntry e = me.getValue();
                long off = e.getDataOffset();
                if (off < 0 || off + e.getCompressedSize() > bytes.byteSize()) {
                    throw new KilnException(file + ": storage " + me.getKey() + " runs past the end of the file (truncated?)");
                }
                storages.put(me.getKey().substring(prefix.length()), new Item(e.getMethod(), off, e.getCompressedSize(), e.getSize()));
            }
            return new TorchZip(file, storages, pickle);
        } catch (IOException | RuntimeException e) {
            if (e instanceof KilnException k) throw k;
            throw new KilnException(file + ": corrupt or truncated PyTorch checkpoint (ZIP: " + rootMessage(e) + ")", e);
        }
    }

    /** The bytes of {@code data.pkl}. */
    public byte[] pickle() {
        return pickle;
    }

    /**
     * The bytes of storage {@code key} taken from {@code bytes} (the same file's bytes as given to {@link #open}),
     * which must be exactly {@code expectedBytes} long: a slice when stored, else an off-heap inflated copy.
     */
    public MemorySegment storage(MemorySegment bytes, String key, long expectedBytes) {
        Item e = storages.get(key);
        if (e == null) throw new KilnException(file + ": storage data/" + key + " named by data.pkl is missing");
        if (e.size() != expectedBytes) {
            throw new KilnException(file + ": storage data/" + key + " holds " + e.size() + " bytes, data.pkl says " + expectedBytes);
        }
        if (e.method() == ZipArchiveEntry.STORED) {
            if (e.compressedSize() != e.size()) throw new KilnException(file + ": storage data/" + key + " has inconsistent sizes");
            return bytes.asSlice(e.dataOffset(), expectedBytes);
        }
        if (e.method() != ZipArchiveEntry.DEFLATED) {
            throw new KilnException(file + ": storage data/" + key + " uses ZIP method " + e.method() + "; only stored and deflated are supported");
        }
        return inflate(bytes.asSlice(e.dataOffset(), e.compressedSize()), expectedBytes, key);
    }

    private MemorySegment inflate(MemorySegment raw, long size, String key) {
        MemorySegment out = Arena.ofAuto().allocate(Math.max(1, size), 64).asSlice(0, size);
        Inflater inf = new Inflater(true);
        try {
            inf.setInput(raw.asByteBuffer());
            long done = 0;
            while (done < size) {
                int n = inf.inflate(out.asSlice(done, Math.min(size - done, Integer.MAX_VALUE)).asByteBuffer());
                if (n == 0 && (inf.finished() || inf.needsInput() || inf.needsDictionary())) break;
                done += n;
            }
            if (done != size) throw new KilnException(file + ": storage data/" + key + " inflates to " + done + " bytes, expected " + size);
            return out;
        } catch (DataFormatException ex) {
            throw new KilnException(file + ": storage data/" + key + " is corrupt (" + oneLine(ex.getMessage()) + ")", ex);
        } finally {
            inf.end();
        }
    }

    private static byte[] readPickle(String file, ZipFile zip, ZipArchiveEntry e) throws IOException {
        if (e.getSize() > MAX_PICKLE) throw new KilnException(file + ": data.pkl is " + e.getSize() + " bytes, more than a state dict needs");
        try (InputStream in = zip.getInputStream(e)) {
            byte[] b = in.readAllBytes();
            if (e.getSize() >= 0 && b.length != e.getSize()) throw new KilnException(file + ": data.pkl is truncated");
            return b;
        }
    }

    private static void checkByteOrder(String file, ZipFile zip, ZipArchiveEntry e) throws IOException {
        if (e == null) return; // older writers: always little-endian
        try (InputStream in = zip.getInputStream(e)) {
            String order = new String(in.readNBytes(16), StandardCharsets.US_ASCII).trim();
            if (!order.equals("little")) throw new KilnException(file + ": byteorder is '" + order + "'; only little-endian checkpoints are supported");
        }
    }

    /** The innermost message of a failure, on one line (Commons Compress wraps the telling one). */
    static String rootMessage(Throwable e) {
        String m = null;
        for (Throwable c = e; c != null; c = c.getCause()) {
            if (c.getMessage() != null && !c.getMessage().isBlank()) m = c.getMessage();
        }
        return m == null ? e.getClass().getSimpleName() : oneLine(m);
    }

    static String oneLine(String s) {
        return s == null ? "unreadable" : s.replaceAll("[\\r\\n]+", " ");
    }
}
