package kiln.validate;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Byte positions of the fields of a well-formed GGUF header, so tests can damage exactly one of them. */
final class HeaderMap {
    record TensorFields(String name, long namePos, long dimsPos, long nePos, long typePos, long offsetPos) {}

    final Map<String, Long> keyPos = new LinkedHashMap<>();
    final Map<String, Long> valuePos = new LinkedHashMap<>();
    final List<TensorFields> tensors = new ArrayList<>();
    long tensorInfoStart;
    long dataOffset;

    HeaderMap(byte[] file) {
        ByteBuffer b = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        b.position(8);
        long nTensors = b.getLong();
        long nKv = b.getLong();
        long alignment = 32;
        for (long i = 0; i < nKv; i++) {
            long kp = b.position();
            String key = str(b);
            keyPos.put(key, kp);
            int type = b.getInt();
            valuePos.put(key, (long) b.position());
            if (key.equals("general.alignment")) alignment = b.getInt(b.position());
            skipValue(b, type);
        }
        tensorInfoStart = b.position();
        for (long i = 0; i < nTensors; i++) {
            long np = b.position();
            String name = str(b);
            long dp = b.position();
            int nd = b.getInt();
            long nep = b.position();
            b.position(b.position() + 8 * nd);
            long tp = b.position();
            b.getInt();
            long op = b.position();
            b.getLong();
            tensors.add(new TensorFields(name, np, dp, nep, tp, op));
        }
        dataOffset = (b.position() + alignment - 1) / alignment * alignment;
    }

    TensorFields tensor(String name) {
        for (TensorFields t : tensors) if (t.name().equals(name)) return t;
        throw new IllegalArgumentException(name);
    }

    private static String str(ByteBuffer b) {
        int n = (int) b.getLong();
        byte[] s = new byte[n];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static void skipValue(ByteBuffer b, int type) {
        switch (type) {
            case 0, 1, 7 -> b.position(b.position() + 1);
            case 2, 3 -> b.position(b.position() + 2);
            case 4, 5, 6 -> b.position(b.position() + 4);
            case 10, 11, 12 -> b.position(b.position() + 8);
            case 8 -> str(b);
            case 9 -> {
                int et = b.getInt();
                long n = b.getLong();
                for (long i = 0; i < n; i++) skipValue(b, et);
            }
            default -> throw new IllegalStateException("type " + type);
        }
    }

    static void putLong(byte[] f, long pos, long v) {
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putLong((int) pos, v);
    }

    static void putInt(byte[] f, long pos, int v) {
        ByteBuffer.wrap(f).order(ByteOrder.LITTLE_ENDIAN).putInt((int) pos, v);
    }
}
