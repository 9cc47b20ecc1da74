package kiln.convert.archive;

import org.apache.commons.compress.archivers.ArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;

/** Packs a model folder into an archive with Commons Compress, as a user's tar/zip tool would, for tests. */
final class Packer {
    private Packer() {}

    enum Kind { TAR, TAR_GZ, ZIP_STORED, ZIP_DEFLATED }

    /** Packs {@code folder}'s files under {@code topDir} ("" for none), in {@code order} when given, else sorted. */
    static Path pack(Path folder, Path out, Kind kind, String topDir, List<String> order) throws IOException {
        List<String> names = order != null ? order : list(folder);
        switch (kind) {
            case TAR, TAR_GZ -> {
                try (OutputStream file = new BufferedOutputStream(Files.newOutputStream(out));
                     OutputStream raw = kind == Kind.TAR_GZ ? new GzipCompressorOutputStream(file, fast()) : file;
                     TarArchiveOutputStream tar = new TarArchiveOutputStream(raw)) {
                    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
                    if (!topDir.isEmpty()) {
                        tar.putArchiveEntry(new TarArchiveEntry(topDir + "/"));
                        tar.closeArchiveEntry();
                    }
                    for (String n : names) {
                        TarArchiveEntry e = new TarArchiveEntry(folder.resolve(n), prefix(topDir) + n);
                        tar.putArchiveEntry(e);
                        Files.copy(folder.resolve(n), tar);
                        tar.closeArchiveEntry();
                    }
                }
            }
            case ZIP_STORED, ZIP_DEFLATED -> {
                try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(out)) {
                    zip.setLevel(java.util.zip.Deflater.BEST_SPEED); // tests need the format, not the ratio
                    for (String n : names) {
                        byte[] b = Files.readAllBytes(folder.resolve(n));
                        ZipArchiveEntry e = new ZipArchiveEntry(prefix(topDir) + n);
                        if (kind == Kind.ZIP_STORED) {
                            e.setMethod(ZipArchiveEntry.STORED);
                            e.setSize(b.length);
                            CRC32 crc = new CRC32();
                            crc.update(b);
                            e.setCrc(crc.getValue());
                        } else {
                            e.setMethod(ZipArchiveEntry.DEFLATED);
                        }
                        put(zip, e, b);
                    }
                }
            }
        }
        return out;
    }

    private static org.apache.commons.compress.compressors.gzip.GzipParameters fast() {
        var p = new org.apache.commons.compress.compressors.gzip.GzipParameters();
        p.setCompressionLevel(java.util.zip.Deflater.BEST_SPEED);
        return p;
    }

    private static void put(ArchiveOutputStream<ZipArchiveEntry> zip, ZipArchiveEntry e, byte[] b) throws IOException {
        zip.putArchiveEntry(e);
        zip.write(b);
        zip.closeArchiveEntry();
    }

    private static String prefix(String topDir) {
        return topDir.isEmpty() ? "" : topDir + "/";
    }

    static List<String> list(Path folder) throws IOException {
        try (Stream<Path> s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }
}
