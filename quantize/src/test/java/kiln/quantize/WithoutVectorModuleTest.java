package kiln.quantize;

import static kiln.tensor.testing.FileHashes.sha256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The quantizers whose searches have a vector form (IQ2_K's splits, IQ*_K's tries, the trellis lane scan) pick it once
 * at start-up and fall back to their scalar oracles when the JVM lacks {@code jdk.incubator.vector}: a child JVM
 * started without {@code --add-modules} must load the codec table and write the same bytes as this JVM, which has the
 * module (surefire's argLine).
 */
class WithoutVectorModuleTest {
    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"IQ2_K", "IQ4_KS", "IQ2_KT"})
    void scalarFallbackWritesTheSameBytes(String type) throws Exception {
        assertTrue(ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent(), "this JVM should have the vector module");
        Path in = Fixtures.file("tiny-deepseek/ik/tiny-deepseek-bf16.gguf");
        Path withModule = tmp.resolve("with.gguf"), without = tmp.resolve("without.gguf");
        List<String> args = List.of("--flavor", "ik", "--ignore-imatrix-rules", "-t", "2");

        List<String> inProcess = new java.util.ArrayList<>(args);
        inProcess.addAll(List.of(in.toString(), withModule.toString(), type));
        assertEquals(0, kiln.tensor.cli.CliSupport.run(new QuantizeCommand(), inProcess.toArray(String[]::new)));

        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new java.util.ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx1g",
                "-cp", System.getProperty("java.class.path"), QuantizeMain.class.getName()));
        cmd.addAll(args);
        cmd.addAll(List.of(in.toString(), without.toString(), type));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "child quantize did not finish");
        assertEquals(0, p.exitValue(), text);
        assertFalse(text.contains("incubator"), "the child JVM was not meant to have the vector module: " + text);
        assertEquals(sha256(withModule), sha256(without), type + ": bytes without the vector module differ");
    }
}
