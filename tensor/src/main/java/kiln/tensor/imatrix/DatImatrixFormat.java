package kiln.tensor.imatrix;

import kiln.tensor.KilnException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The legacy binary imatrix layout (spec ik-llama-formats.md §4.2, gguf-and-quants.md §5.2 B), little-endian,
 * no padding: i32 n_entries; per entry i32 len, name bytes, i32 ncall, i32 nval, nval × f32; then the optional
 * trailer i32 chunk count, i32 len, dataset name bytes. Entry order is kept as found (ik writes a hash map's
 * order, mainline sorts by name).
 */
final class DatImatrixFormat {
    private DatImatrixFormat() {}

    static Imatrix read(String source, byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (b.remaining() < 4) throw new KilnException(source + ": no data in imatrix file");
        int n = b.getInt();
        if (n < 1) throw new KilnException(source + ": no data in imatrix file (" + n + " entries)");
        List<ImatrixEntry> entries = new ArrayList<>();
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) {
            int len = b.remaining() >= 4 ? b.getInt() : -1;
            if (len < 0 || len > b.remaining()) throw new KilnException(source + ": failed reading name for entry " + (i + 1)
                    + " (is this an imatrix file?)");
            byte[] nb = new byte[len];
            b.get(nb);
            String name = new String(nb, StandardCharsets.UTF_8);
            if (b.remaining() < 8) throw new KilnException(source + ": failed reading number of values for entry " + (i + 1) + " '" + name + "'");
            int ncall = b.getInt();
            int nval = b.getInt();
            if (nval < 1 || (long) nval * 4 > b.remaining()) {
                throw new KilnException(source + ": failed reading data for entry " + (i + 1) + " '" + name + "' (" + nval + " values)");
            }
            float[] v = new float[nval];
            b.asFloatBuffer().get(v);
            b.position(b.position() + 4 * nval);
            if (!seen.add(name)) {
                // the reference readers keep the last one; so do we
                entries.removeIf(e -> e.name().equals(name));
            }
            entries.add(new ImatrixEntry(name, v, new float[]{ncall}));
        }
        int chunks = 0;
        List<String> datasets = new ArrayList<>();
        if (b.remaining() >= 4) {
            chunks = b.getInt();
            if (b.remaining() >= 4) {
                int len = b.getInt();
                if (len < 0 || len > b.remaining()) throw new KilnException(source + ": truncated dataset name at the end of the imatrix file");
                byte[] d = new byte[len];
                b.get(d);
                if (len > 0) datasets.add(new String(d, StandardCharsets.UTF_8));
            }
        }
        return Imatrix.of(entries, datasets, chunks, 0, true);
    }

    /** Serializes a legacy-convention imatrix (see {@link ImatrixConvert#toLegacy}), entries in the imatrix's order. */
    static byte[] write(Imatrix m) {
        if (!m.legacy()) throw new IllegalArgumentException("convert to the legacy convention first");
        long size = 4 + 8;
        List<byte[]> names = new ArrayList<>();
        for (ImatrixEntry e : m.entries().values()) {
            byte[] nb = e.name().getBytes(StandardCharsets.UTF_8);
            names.add(nb);
            size += 12 + nb.length + 4L * e.size();
        }
        String ds = m.datasets().isEmpty() ? "" : m.datasets().getLast();
        byte[] dsb = ds.getBytes(StandardCharsets.UTF_8);
        size += dsb.length;
        if (size > Integer.MAX_VALUE - 16) throw new KilnException("imatrix too large for the legacy format");
        ByteBuffer b = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(m.size());
        int i = 0;
        for (ImatrixEntry e : m.entries().values()) {
            byte[] nb = names.get(i++);
            b.putInt(nb.length).put(nb);
            b.putInt((int) e.counts()[0]);
            b.putInt(e.size());
            for (float f : e.sums()) b.putFloat(f);
        }
        b.putInt(m.chunkCount());
        b.putInt(dsb.length).put(dsb);
        return b.array();
    }
}
