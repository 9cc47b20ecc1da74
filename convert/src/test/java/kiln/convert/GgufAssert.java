package kiln.convert;

import static kiln.tensor.testing.FileHashes.sha256;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufValue;
import kiln.tensor.gguf.TensorInfo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Compares two GGUF files: every metadata key in order with type and value (minus ignored keys), tensor infos and bytes. */
final class GgufAssert {
    static final Set<String> GUESSED = Set.of("general.name", "general.size_label");

    private GgufAssert() {}

    static void assertSameModel(Path expected, Path actual, Set<String> ignoredKeys) {
        try (GgufFile e = GgufFile.open(expected); GgufFile a = GgufFile.open(actual)) {
            List<String> ek = new ArrayList<>(), ak = new ArrayList<>();
            for (String k : e.metadata().keys()) if (!ignoredKeys.contains(k)) ek.add(k);
            for (String k : a.metadata().keys()) if (!ignoredKeys.contains(k)) ak.add(k);
            assertEquals(ek, ak, "metadata keys (in order) of " + actual + " vs " + expected);
            for (String k : ek) {
                GgufValue ev = e.metadata().get(k), av = a.metadata().get(k);
                assertEquals(ev, av, "metadata '" + k + "'");
            }
            assertEquals(names(e.tensors()), names(a.tensors()), "tensor names in order");
            for (int i = 0; i < e.tensors().size(); i++) {
                TensorInfo et = e.tensors().get(i), at = a.tensors().get(i);
                assertEquals(et.type(), at.type(), "type of " + et.name());
                assertArrayEquals(et.ne(), at.ne(), "ne of " + et.name());
                assertEquals(et.offset(), at.offset(), "offset of " + et.name());
                long mismatch = e.data(et).mismatch(a.data(at));
                if (mismatch != -1) fail("tensor " + et.name() + " differs at byte " + mismatch);
            }
        }
    }

    /**
     * Same metadata (in order) and the same tensors by name — type, ne and bytes — in any order: for two checkpoints of
     * one model sharded differently (the reference converters follow each checkpoint's shard order).
     */
    static void assertSameTensorsAnyOrder(Path expected, Path actual) {
        try (GgufFile e = GgufFile.open(expected); GgufFile a = GgufFile.open(actual)) {
            List<String> ek = new ArrayList<>(), ak = new ArrayList<>();
            for (String k : e.metadata().keys()) if (!GUESSED.contains(k)) ek.add(k);
            for (String k : a.metadata().keys()) if (!GUESSED.contains(k)) ak.add(k);
            assertEquals(ek, ak, "metadata keys (in order)");
            for (String k : ek) assertEquals(e.metadata().get(k), a.metadata().get(k), "metadata '" + k + "'");
            assertEquals(new java.util.TreeSet<>(names(e.tensors())), new java.util.TreeSet<>(names(a.tensors())), "tensor names");
            for (TensorInfo et : e.tensors()) {
                TensorInfo at = a.tensor(et.name());
                assertEquals(et.type(), at.type(), "type of " + et.name());
                assertArrayEquals(et.ne(), at.ne(), "ne of " + et.name());
                long mismatch = e.data(et).mismatch(a.data(at));
                if (mismatch != -1) fail("tensor " + et.name() + " differs at byte " + mismatch);
            }
        }
    }

    static void assertSameModel(Path expected, Path actual) {
        assertSameModel(expected, actual, GUESSED);
    }

    static List<String> names(List<TensorInfo> ts) {
        List<String> n = new ArrayList<>();
        for (TensorInfo t : ts) n.add(t.name());
        return n;
    }


    static String metaString(Path p, String key) {
        try (GgufFile f = GgufFile.open(p)) {
            GgufValue v = f.metadata().get(key);
            return v == null ? null : v.asString();
        }
    }

    static Map<String, GgufValue> metadata(Path p) {
        try (GgufFile f = GgufFile.open(p)) {
            return new java.util.LinkedHashMap<>(f.metadata().asMap());
        }
    }
}
