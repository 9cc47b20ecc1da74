package kiln.cuda.kernel;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The committed PTX is what its CUDA C source compiles to: each src/main/cuda/NAME.ptx carries the sha256 of NAME.cu
 * (written by cuda/build-ptx.sh) and this test recomputes it, so editing a .cu without regenerating its .ptx fails
 * the build. It also checks the Java kernel table against the PTX entries and their parameter types.
 */
class PtxDriftTest {
    private static final Path DIR = Path.of("src/main/cuda");

    private static List<String> names(String ext) throws IOException {
        try (Stream<Path> s = Files.list(DIR)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(ext)).map(n -> n.substring(0, n.length() - ext.length())).sorted().toList();
        }
    }

    static String sha256(byte[] b) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void everySourceHasItsPtxAndTheHashesAgree() throws Exception {
        List<String> cu = names(".cu"), ptx = names(".ptx");
        assertFalse(cu.isEmpty(), "no CUDA sources in " + DIR.toAbsolutePath());
        assertEquals(cu, ptx, "every .cu needs its .ptx and every .ptx its .cu (run cuda/build-ptx.sh)");
        List<String> drifted = new ArrayList<>();
        for (String name : cu) {
            PtxModule m = new PtxModule(name, Files.readString(DIR.resolve(name + ".ptx")));
            String recorded = m.sourceSha256();
            assertNotNull(recorded, name + ".ptx has no kiln-source-sha256 header (run cuda/build-ptx.sh)");
            if (!recorded.equals(sha256(Files.readAllBytes(DIR.resolve(name + ".cu"))))) drifted.add(name + ".cu");
            assertEquals("sm_75", m.target(), name + ".ptx: the oldest target CUDA 13's nvcc allows (spec §4.5)");
        }
        assertEquals(List.of(), drifted, "changed since their PTX was generated: run cuda/build-ptx.sh and commit the .ptx");
    }

    @Test
    void theKernelTableMatchesThePtxEntries() throws IOException {
        var declared = new TreeSet<String>();
        for (Kernel k : Kernel.values()) {
            PtxModule m = PtxModule.load(k.module());
            Map<String, List<String>> entries = m.entries();
            assertTrue(entries.containsKey(k.entry()), k + ": no entry " + k.entry() + " in " + k.module() + ".ptx");
            assertEquals(k.params(), entries.get(k.entry()), k + ": parameter types");
            assertTrue(k.pointerParams() <= k.params().size());
            for (int i = 0; i < k.pointerParams(); i++) assertEquals("u64", k.params().get(i), k + " pointer parameter " + i);
            declared.add(k.module() + "." + k.entry());
        }
        var inPtx = new TreeSet<String>();
        for (String name : names(".ptx")) for (String e : PtxModule.load(name).entries().keySet()) inPtx.add(name + "." + e);
        assertEquals(inPtx, declared, "every PTX kernel has a row in Kernel and the other way round");
    }

    @Test
    void theShippedPtxIsTheCommittedOne() throws IOException {
        for (String name : names(".ptx")) {
            assertEquals(Files.readString(DIR.resolve(name + ".ptx")), PtxModule.load(name).text(), name);
            byte[] image = PtxModule.load(name).image();
            assertEquals(0, image[image.length - 1], "cuModuleLoadData needs a NUL-terminated image");
        }
    }
}
