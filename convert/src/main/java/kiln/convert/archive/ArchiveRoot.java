package kiln.convert.archive;

import kiln.tensor.KilnException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds the model folder inside an archive: the archive's top level when it holds {@code config.json}, else the
 * one top-level folder that does. Only the files directly in that folder are part of the model.
 */
final class ArchiveRoot {
    private ArchiveRoot() {}

    /** Entry names normalized the way tar/zip tools write them ({@code ./a/b} → {@code a/b}). */
    static String normalize(String entryName) {
        String n = entryName.replace('\\', '/');
        while (n.startsWith("./")) n = n.substring(2);
        while (n.startsWith("/")) n = n.substring(1);
        return n;
    }

    /** Maps each file name of the model folder to its (normalized) entry name, in archive order. */
    static Map<String, String> modelFiles(String archive, List<String> fileEntries) {
        String root = null;
        boolean ambiguous = false;
        for (String n : fileEntries) {
            if (n.equals("config.json")) {
                root = "";
                ambiguous = false;
                break;
            }
            int slash = n.indexOf('/');
            if (slash > 0 && n.substring(slash + 1).equals("config.json")) {
                String r = n.substring(0, slash + 1);
                if (root != null && !root.equals(r)) ambiguous = true;
                root = r;
            }
        }
        if (root == null) throw new KilnException(archive + ": no config.json at the top of the archive or inside one top-level folder");
        if (ambiguous) throw new KilnException(archive + ": several top-level folders hold a config.json; pack one model per archive");
        Map<String, String> files = new LinkedHashMap<>();
        for (String n : fileEntries) {
            if (!n.startsWith(root)) continue;
            String rel = n.substring(root.length());
            if (rel.isEmpty() || rel.contains("/")) continue;
            if (files.put(rel, n) != null) throw new KilnException(archive + ": " + n + " appears twice");
        }
        return files;
    }
}
