package kiln.tensor.io;

import kiln.tensor.KilnException;
import kiln.tensor.Parallel;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The checksum sidecar of a GGUF, {@code OUT.sha256} ({@code --checksums} on the writers, {@code kiln validate --verify}):
 * the sha256 of each file's header (the bytes before its tensor data) and of each tensor's data, one line each as
 * {@code <hex>  header <file name>} / {@code <hex>  tensor <name>}, so bit rot in a copied model is found and named
 * without a reference copy. The sidecar of a split set sits beside its first file and covers every file.
 */
public final class Checksums {
    private Checksums() {}

    private static final String FIRST_LINE = "# kiln checksums: sha256 of each file's header and of each tensor's data";
    private static final int CHUNK = 1 << 24;

    public static Path sidecarOf(Path gguf) {
        return gguf.resolveSibling(gguf.getFileName() + ".sha256");
    }

    /** Writes the sidecar of a finished GGUF (through {@link PendingOutput}: it appears whole or not at all). */
    public static Path write(Path gguf, int threads) {
        Map<String, String> sums = compute(gguf, threads);
        StringBuilder text = new StringBuilder(FIRST_LINE).append('\n');
        sums.forEach((what, hex) -> text.append(hex).append("  ").append(what).append('\n'));
        Path side = sidecarOf(gguf);
        try (PendingOutput out = PendingOutput.file(side)) {
            Files.writeString(out.path(), text, StandardCharsets.UTF_8, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING,
                    LinkOption.NOFOLLOW_LINKS);
            out.commit();
        } catch (IOException e) {
            throw new KilnException(side + ": cannot write: " + e.getMessage(), 1, e);
        }
        return side;
    }

    /**
     * Compares a GGUF with its sidecar: one line per header or tensor that differs, is missing from the file or is not
     * in the sidecar (empty: the data is what was written). A missing or malformed sidecar is a {@link KilnException}.
     */
    public static List<String> verify(Path gguf, int threads) {
        Path side = sidecarOf(gguf);
        Map<String, String> recorded = read(side);
        Map<String, String> actual = compute(gguf, threads);
        String sideName = side.getFileName().toString();
        List<String> problems = new ArrayList<>();
        recorded.forEach((what, hex) -> {
            String now = actual.get(what);
            if (now == null) problems.add(what + ": listed in " + sideName + " but not in the file");
            else if (!now.equals(hex)) problems.add(what + ": " + (what.startsWith("header") ? "bytes differ" : "data differs") + " from the sha256 in " + sideName);
        });
        actual.keySet().stream().filter(w -> !recorded.containsKey(w)).forEach(w -> problems.add(w + ": not in " + sideName));
        return problems;
    }

    /** Refuses (one line, exit 2) a GGUF whose sidecar does not exist, before any work is done. */
    public static void requireSidecar(Path gguf) {
        Path side = sidecarOf(gguf);
        if (!Files.exists(side, LinkOption.NOFOLLOW_LINKS)) {
            throw new KilnException(side + ": no checksum file (write one with --checksums when quantizing, repacking or converting)");
        }
    }

    /** "header F" and "tensor N" → sha256 hex, headers first, tensors in file order. */
    static Map<String, String> compute(Path gguf, int threads) {
        try (GgufFile f = GgufFile.open(gguf)) {
            List<String> what = new ArrayList<>();
            List<MemorySegment> bytes = new ArrayList<>();
            for (GgufFile.Shard s : f.shards()) {
                what.add("header " + s.path().getFileName());
                bytes.add(s.mapping().asSlice(0, s.dataOffset()));
            }
            for (TensorInfo t : f.tensors()) {
                what.add("tensor " + KilnException.printable(t.name(), 1 << 20));
                bytes.add(f.data(t));
            }
            String[] hex = new String[what.size()];
            Parallel.forEach(hex.length, Math.max(1, threads), i -> hex[(int) i] = sha256(bytes.get((int) i)));
            Map<String, String> sums = new LinkedHashMap<>();
            for (int i = 0; i < hex.length; i++) sums.put(what.get(i), hex[i]);
            return sums;
        }
    }

    private static Map<String, String> read(Path side) {
        List<String> lines;
        try {
            lines = Files.readAllLines(side, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new KilnException(side + ": no checksum file (write one with --checksums when quantizing, repacking or converting)");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new KilnException(side + ": cannot read (permission denied)");
        } catch (IOException e) {
            throw new KilnException(side + ": cannot read: " + e.getMessage());
        }
        Map<String, String> sums = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            if (l.isEmpty() || l.startsWith("#")) continue;
            boolean ok = l.length() > 66 && l.startsWith("  ", 64) && l.substring(0, 64).chars().allMatch(c -> Character.digit(c, 16) >= 0)
                    && (l.startsWith("header ", 66) || l.startsWith("tensor ", 66));
            if (!ok) throw new KilnException(side + ": line " + (i + 1) + " is not '<64 hex digits>  header FILE' or '<64 hex digits>  tensor NAME'");
            sums.put(l.substring(66), l.substring(0, 64).toLowerCase(java.util.Locale.ROOT));
        }
        return sums;
    }

    private static String sha256(MemorySegment data) {
        MessageDigest md;
        try {
            md = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (long off = 0; off < data.byteSize(); off += CHUNK) {
            md.update(data.asSlice(off, Math.min(CHUNK, data.byteSize() - off)).asByteBuffer());
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
