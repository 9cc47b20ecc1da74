package kiln.cuda.kernel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One committed PTX module as text: the sha256 of the CUDA C source it was made from (its first line, written by
 * cuda/build-ptx.sh), its target, and its kernel entries with their parameter types. Pure Java: reading it needs no GPU.
 */
public record PtxModule(String name, String text) {
    private static final Pattern SOURCE_SHA = Pattern.compile("^// kiln-source-sha256: ([0-9a-f]{64}) (\\S+\\.cu)$", Pattern.MULTILINE);
    private static final Pattern ENTRY = Pattern.compile("\\.visible \\.entry (\\w+)\\(([^)]*)\\)");
    private static final Pattern PARAM = Pattern.compile("\\.param \\.(\\w+) ");
    private static final Pattern TARGET = Pattern.compile("^\\.target (\\w+)", Pattern.MULTILINE);

    /** The module from the class path (kiln/cuda/ptx/NAME.ptx), as shipped in the jar. */
    public static PtxModule load(String name) {
        String path = "/kiln/cuda/ptx/" + name + ".ptx";
        try (InputStream in = PtxModule.class.getResourceAsStream(path)) {
            if (in == null) throw new IllegalStateException("PTX module " + path + " is not on the class path (build the cuda module)");
            return new PtxModule(name, new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("reading " + path + ": " + e.getMessage(), e);
        }
    }

    /** The source's sha256 recorded in the header, or null when the header is missing. */
    public String sourceSha256() {
        Matcher m = SOURCE_SHA.matcher(text);
        return m.find() ? m.group(1) : null;
    }

    public String target() {
        Matcher m = TARGET.matcher(text);
        return m.find() ? m.group(1) : null;
    }

    /** Entry name → PTX parameter types, in file order. */
    public Map<String, List<String>> entries() {
        Map<String, List<String>> out = new LinkedHashMap<>();
        Matcher m = ENTRY.matcher(text);
        while (m.find()) {
            List<String> types = new ArrayList<>();
            Matcher p = PARAM.matcher(m.group(2));
            while (p.find()) types.add(p.group(1));
            out.put(m.group(1), types);
        }
        return out;
    }

    /** The text as cuModuleLoadData wants it: NUL-terminated bytes. */
    public byte[] image() {
        byte[] b = text.getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[b.length + 1];
        System.arraycopy(b, 0, out, 0, b.length);
        return out;
    }
}
