package kiln.validate.compat;

import kiln.tensor.gguf.TensorInfo;
import kiln.validate.ModelView;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Replays a runtime's {@code create_tensor} calls against a file's tensor list, the way
 * {@code llama_model_loader} does: a present tensor must have exactly the requested shape (missing dims = 1);
 * a missing required tensor fails; every tensor found is counted except {@code DUPLICATED} ones; and at the
 * end the count must equal the file's ({@code done_getting_tensors}).
 *
 * <p>It is lenient: it records the first failure and keeps going, so the full inventory the runtime expects
 * is known even for a file it refuses.
 */
final class TensorLoader {
    static final int REQUIRED = 0;
    static final int NOT_REQUIRED = 1;
    static final int DUPLICATED = 2;

    private final Map<String, TensorInfo> file;
    private final int fileCount;
    private final Set<String> claimed = new LinkedHashSet<>();
    private final List<String> missing = new ArrayList<>();
    private long expected;
    private String firstFailure;

    TensorLoader(ModelView model) {
        this.file = model.byName();
        this.fileCount = model.tensors().size();
    }

    /** create_tensor(name, ne, flags): whether the tensor exists in the file. */
    boolean create(String name, long[] ne, int flags) {
        TensorInfo t = file.get(name);
        boolean required = (flags & NOT_REQUIRED) == 0;
        if (t == null) {
            if (required) {
                expected++;
                missing.add(name);
                fail("missing tensor '" + name + "'");
            }
            return false;
        }
        if (!sameShape(t, ne)) {
            fail("tensor '" + name + "' has wrong shape; expected " + shape(ne) + ", got " + shape(t.ne()));
        }
        if ((flags & DUPLICATED) == 0 && claimed.add(name)) expected++;
        return true;
    }

    boolean present(String name) {
        return file.containsKey(name);
    }

    TensorInfo info(String name) {
        return file.get(name);
    }

    private void fail(String message) {
        if (firstFailure == null) firstFailure = message;
    }

    /** The first missing/wrong-shape failure, or null. */
    String firstFailure() {
        return firstFailure;
    }

    /** Number of tensors the runtime would create from this file (required ones and optional ones present). */
    long expected() {
        return expected;
    }

    int fileCount() {
        return fileCount;
    }

    /** Tensors of the file that the runtime never asks for, in file order. */
    List<String> unclaimed() {
        List<String> out = new ArrayList<>();
        for (String n : file.keySet()) if (!claimed.contains(n)) out.add(n);
        return out;
    }

    List<String> missing() {
        return missing;
    }

    /** The {@code done_getting_tensors} message when the counts differ, else null. */
    String countFailure() {
        long got = claimed.size();
        if (got == fileCount) return null;
        return (got > fileCount ? "too many tensors created" : "wrong number of tensors")
                + "; expected " + fileCount + ", got " + got;
    }

    static boolean sameShape(TensorInfo t, long[] ne) {
        for (int i = 0; i < 4; i++) {
            long want = i < ne.length ? ne[i] : 1;
            if (t.dim(i) != want) return false;
        }
        return true;
    }

    static String shape(long[] ne) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ne.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(ne[i]);
        }
        return sb.toString();
    }

    static long[] ne(long... ne) {
        return ne;
    }
}
