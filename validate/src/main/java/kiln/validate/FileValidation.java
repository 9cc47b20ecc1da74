package kiln.validate;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.GgufFormatException;
import kiln.validate.compat.Compatibility;
import kiln.validate.compat.KilnLoad;
import kiln.validate.compat.RuntimeVerdict;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The result of validating one file: structure, optional deep scan, and the three runtimes' verdicts. */
final class FileValidation {
    static final int VALID = 0;
    static final int INVALID = 1;
    static final int UNREADABLE = 2;

    final Path file;
    int status = VALID;
    final List<String> errors = new ArrayList<>();
    final List<String> warnings = new ArrayList<>();
    String architecture;
    Integer tensorCount;
    Integer version;
    String layout;
    List<RuntimeVerdict> runtimes = List.of();
    DeepCheck deep;
    /** {@code --verify}: true when every checksum in OUT.sha256 matched, false when some differ, null when not asked. */
    Boolean checksumsMatch;

    private FileValidation(Path file) {
        this.file = file;
    }

    static FileValidation run(Path file, boolean deepScan) {
        FileValidation v = new FileValidation(file);
        if (!Files.exists(file)) return v.fail(UNREADABLE, "no such file");
        if (Files.isDirectory(file)) return v.fail(UNREADABLE, "is a folder, not a GGUF file");
        if (!Files.isReadable(file)) return v.fail(UNREADABLE, "cannot read (permission denied)");
        try (GgufFile f = GgufFile.open(file)) {
            v.version = f.version();
            v.tensorCount = f.tensors().size();
            ModelView m = ModelView.of(f);
            v.architecture = m.architecture();
            if ("deepseek2".equals(v.architecture)) v.layout = layoutOf(m);
            v.runtimes = withKilnsOwnLoad(Compatibility.judge(m), file);
            for (RuntimeVerdict r : v.runtimes) for (String w : r.warnings()) v.warnings.add(r.runtime() + ": " + w);
            if (deepScan) {
                v.deep = DeepCheck.run(f);
                v.errors.addAll(v.deep.errors);
                v.warnings.addAll(v.deep.warnings);
                if (!v.deep.errors.isEmpty()) v.status = INVALID;
            }
        } catch (GgufFormatException e) {
            return v.fail(INVALID, stripFile(e.getMessage(), file));
        } catch (KilnException e) {
            String msg = stripFile(e.getMessage(), file);
            // unreadable or a usage mistake (a later file of a split set named instead of the first): exit 2
            boolean io = msg.startsWith("cannot read") || msg.equals("no such file") || msg.endsWith(": no such file") || msg.contains("open the first file of the set");
            return v.fail(io ? UNREADABLE : INVALID, msg);
        }
        return v;
    }

    /** Kiln's simulated verdict replaced by the runtime's load of the file (architectures the runtime does not run keep theirs). */
    private static List<RuntimeVerdict> withKilnsOwnLoad(List<RuntimeVerdict> verdicts, Path file) {
        List<RuntimeVerdict> out = new ArrayList<>();
        for (RuntimeVerdict r : verdicts) {
            boolean kiln = r.runtime().equals(Compatibility.KILN) && r.loads() != null;
            out.add(kiln ? KilnLoad.of(file, r) : r);
        }
        return out;
    }

    private static String layoutOf(ModelView m) {
        kiln.tensor.gguf.MlaLayout l = kiln.tensor.gguf.MlaLayout.of(m.tensors());
        return l == null ? "unknown" : l.label();
    }

    /** {@code --verify}: each header or tensor whose sha256 differs from OUT.sha256 is an error (exit 1). */
    FileValidation verify(int threads) {
        if (tensorCount == null) return this; // not a readable GGUF: already reported
        try {
            List<String> problems = kiln.tensor.io.Checksums.verify(file, threads);
            checksumsMatch = problems.isEmpty();
            if (!problems.isEmpty()) status = Math.max(status, INVALID);
            errors.addAll(problems);
        } catch (KilnException e) {
            fail(UNREADABLE, e.getMessage());
        }
        return this;
    }

    /** {@code --strict}: a readable file that none of the runtimes will load is invalid (exit 1). */
    FileValidation strict() {
        if (status == VALID && runtimes.stream().noneMatch(r -> Boolean.TRUE.equals(r.loads()))) {
            fail(INVALID, "no runtime will load this file (--strict)");
        }
        return this;
    }

    private FileValidation fail(int status, String error) {
        this.status = status;
        this.errors.add(error);
        return this;
    }

    /** Messages start with the file path; the report names the file once. */
    static String stripFile(String message, Path file) {
        String p = file.toString() + ": ";
        return message.startsWith(p) ? message.substring(p.length()) : message;
    }

    boolean valid() {
        return status == VALID;
    }

    List<String> lines() {
        List<String> out = new ArrayList<>();
        if (status != VALID && tensorCount == null) {
            out.add(file + ": " + (status == UNREADABLE ? "unreadable: " : "invalid: ") + errors.getFirst());
            return out;
        }
        out.add(file + ": " + (valid() ? "valid" : "invalid") + " (GGUF v" + version + ", "
                + (architecture == null ? "no architecture" : architecture) + (layout == null ? "" : " " + layout + " layout")
                + ", " + tensorCount + " tensors" + (deep != null ? ", deep-checked" : "")
                + (checksumsMatch == null ? "" : checksumsMatch ? ", checksums match" : ", checksums differ") + ")");
        for (String e : errors) out.add("  error: " + e);
        for (RuntimeVerdict r : runtimes) out.add("  " + r.line());
        for (String w : warnings) out.add("  warning: " + w);
        if (deep != null && !deep.notChecked.isEmpty()) out.add("  not checked: no codec: values of " + deep.notCheckedSummary());
        return out;
    }

    ObjectNode json() {
        ObjectNode o = Json.object();
        o.put("file", file.toString());
        o.put("valid", valid());
        o.put("status", status == VALID ? "valid" : status == INVALID ? "invalid" : "unreadable");
        ArrayNode e = o.putArray("errors");
        errors.forEach(e::add);
        ArrayNode w = o.putArray("warnings");
        warnings.forEach(w::add);
        o.put("architecture", architecture);
        if (tensorCount == null) o.putNull("tensor_count");
        else o.put("tensor_count", tensorCount);
        if (layout != null) o.put("layout", layout);
        if (checksumsMatch != null) o.put("checksums_match", checksumsMatch);
        ObjectNode rt = o.putObject("runtimes");
        for (RuntimeVerdict r : runtimes) {
            ObjectNode j = rt.putObject(r.runtime());
            if (r.loads() == null) j.putNull("loads");
            else j.put("loads", r.loads());
            if (r.expectedTensors() == null) j.putNull("expected_tensors");
            else j.put("expected_tensors", r.expectedTensors());
            j.put("reason", r.reason());
            ArrayNode rw = j.putArray("warnings");
            r.warnings().forEach(rw::add);
        }
        if (deep != null) {
            ObjectNode d = o.putObject("deep");
            d.put("tensors", deep.tensorsChecked);
            d.put("not_checked_no_codec", deep.notCheckedSummary());
        }
        return o;
    }
}
