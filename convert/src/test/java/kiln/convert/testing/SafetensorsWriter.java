package kiln.convert.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Writes test safetensors files, streaming tensor bytes from a generator so files can exceed the heap. */
public final class SafetensorsWriter {
    /** Produces the bytes of a tensor in pieces. */
    public interface Bytes {
        void writeTo(OutputStream out) throws IOException;
    }

    public record T(String name, String dtype, long[] shape, long byteLength, Bytes bytes) {}

    private final List<T> tensors = new ArrayList<>();

    public SafetensorsWriter add(String name, String dtype, long[] shape, byte[] data) {
        tensors.add(new T(name, dtype, shape, data.length, o -> o.write(data)));
        return this;
    }

    public SafetensorsWriter add(T t) {
        tensors.add(t);
        return this;
    }

    public void write(Path file) throws IOException {
        ObjectNode h = new ObjectMapper().createObjectNode();
        h.putObject("__metadata__").put("format", "pt");
        long off = 0;
        for (T t : tensors) {
            ObjectNode o = h.putObject(t.name());
            o.put("dtype", t.dtype());
            var s = o.putArray("shape");
            for (long d : t.shape()) s.add(d);
            var d = o.putArray("data_offsets");
            d.add(off);
            d.add(off + t.byteLength());
            off += t.byteLength();
        }
        byte[] header = new ObjectMapper().writeValueAsString(h).getBytes(StandardCharsets.UTF_8);
        try (OutputStream out = new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            out.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(header.length).array());
            out.write(header);
            for (T t : tensors) t.bytes().writeTo(out);
        }
    }
}
