package kiln.convert.pytorch;

import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;

/** Writes a torch.save-style ZIP ({@code archive/data.pkl}, {@code archive/data/<key>}) for tests. */
public final class TorchBinWriter {
    private final Map<String, byte[]> storages = new LinkedHashMap<>();
    private byte[] pickle = new byte[0];
    private boolean deflate;

    public TorchBinWriter pickle(byte[] p) { pickle = p; return this; }
    public TorchBinWriter storage(String key, byte[] bytes) { storages.put(key, bytes); return this; }
    public TorchBinWriter deflate(boolean d) { deflate = d; return this; }

    public void write(Path file) throws IOException {
        try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(file)) {
            put(zip, "archive/data.pkl", pickle);
            put(zip, "archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII));
            for (Map.Entry<String, byte[]> e : storages.entrySet()) put(zip, "archive/data/" + e.getKey(), e.getValue());
            put(zip, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private void put(ZipArchiveOutputStream zip, String name, byte[] bytes) throws IOException {
        ZipArchiveEntry e = new ZipArchiveEntry(name);
        if (!deflate) {
            e.setMethod(ZipArchiveEntry.STORED);
            e.setSize(bytes.length);
            CRC32 crc = new CRC32();
            crc.update(bytes);
            e.setCrc(crc.getValue());
        } else {
            e.setMethod(ZipArchiveEntry.DEFLATED);
        }
        zip.putArchiveEntry(e);
        zip.write(bytes);
        zip.closeArchiveEntry();
    }

    /** A minimal model folder: config.json plus this .bin as pytorch_model.bin. */
    public Path writeFolder(Path folder) throws IOException {
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("config.json"), "{\"architectures\": [\"LlamaForCausalLM\"]}");
        write(folder.resolve("pytorch_model.bin"));
        return folder;
    }

    public static byte[] floats(float... v) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.length * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float f : v) b.putFloat(f);
        return b.array();
    }
}
