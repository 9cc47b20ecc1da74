package kiln.quantize;

import kiln.tensor.testing.FileHashes;
import kiln.tensor.KilnException;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * For every ftype of ik's llama-quantize, with and without the fixture imatrix, with --ignore-imatrix-rules, each
 * per-class option (--attn-q-type … --ffn-up-type), --ffn-gate-inp-type, --custom-q, --pure, --output-tensor-type,
 * --token-embedding-type, --leave-output-tensor and ik's imatrix fallbacks (ffn_gate → ffn_up, ffn_gate_exps →
 * ffn_up_exps, attn_v_b ↔ attn_kv_b, seen through which tensor first lacks data), on tiny-deepseek (8 experts) and
 * tiny-llama (GQA 2), and every ftype on zero-weight synthetic Llamas of the shapes those lack (GQA 4, 4 experts, fused
 * attn_qkv; {@link SyntheticGguf}, no fixture needed): Kiln's
 * {@code kiln quantize --flavor ik} command line plans the same type for every tensor as ik's
 * {@code llama-quantize --dry-run} printed, or refuses with ik's message where ik refused
 * (ik-type-choice/*.txt, recorded by make-references.py there). Needs no codec.
 */
class IkTypeChoiceTest {

    /** A fixture model (gguf, imatrix relative to the fixtures), or a synthetic one (gguf null: SyntheticGguf kind = name less "synth-"). */
    private record Model(String name, String gguf, String imatrix) {
        Path input(Path tmp) {
            return gguf != null ? Fixtures.file(gguf) : tmp.resolve(name + ".gguf");
        }
    }

    private static final List<Model> MODELS = List.of(
            new Model("tiny-deepseek", "tiny-deepseek/ik/tiny-deepseek-bf16.gguf", "tiny-deepseek/ik/tiny-deepseek.imatrix"),
            new Model("tiny-llama", "tiny-llama/mainline/tiny-llama-bf16.gguf", "tiny-llama/ik/tiny-llama.imatrix"),
            new Model("synth-gqa4", null, null), new Model("synth-moe4", null, null), new Model("synth-qkv", null, null));

    @TempDir
    static Path tmp;

    @TestFactory
    Stream<DynamicTest> everyRecordedIkRunGetsIksTypes() throws Exception {
        Path mla = writeMlaImatrix(tmp.resolve("mla.imatrix"));
        for (String kind : SyntheticGguf.KINDS) SyntheticGguf.write(kind, tmp.resolve("synth-" + kind + ".gguf"));
        List<DynamicTest> tests = new ArrayList<>();
        for (Model m : MODELS) {
            List<String> lines = reference(m.name());
            List<String> tensors = null;
            for (String line : lines) {
                if (line.startsWith("#")) continue;
                if (line.startsWith("mla-imatrix-sha256: ")) {
                    assertEquals(line.substring(20), FileHashes.sha256(mla), "the MLA imatrix ik was given");
                    continue;
                }
                if (line.startsWith("synthetic-sha256: ")) {
                    assertEquals(line.substring(18), FileHashes.sha256(m.input(tmp)), "the synthetic model ik was given");
                    continue;
                }
                if (line.startsWith("tensors: ")) {
                    tensors = List.of(line.substring(9).split(" "));
                    continue;
                }
                List<String> names = tensors;
                int bar = line.indexOf(" | ");
                String args = line.substring(0, bar), want = line.substring(bar + 3);
                tests.add(DynamicTest.dynamicTest(m.name() + ": " + args, () -> check(m, names, args, want, mla)));
            }
        }
        assertTrue(tests.size() > 800, "reference runs: " + tests.size());
        return tests.stream();
    }

    /** make-references.py's mla_imatrix: ik's legacy format, blk.0.attn_kv_b and blk.1.attn_v_b only, all ones. */
    static Path writeMlaImatrix(Path p) throws IOException {
        List<String> names = List.of("blk.0.attn_kv_b.weight", "blk.1.attn_v_b.weight");
        ByteBuffer b = ByteBuffer.allocate(4096).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(names.size());
        for (String n : names) {
            b.putInt(n.length()).put(n.getBytes(StandardCharsets.US_ASCII)).putInt(1).putInt(256);
            for (int i = 0; i < 256; i++) b.putFloat(1.0f);
        }
        b.putInt(1).putInt(8).put("mla-test".getBytes(StandardCharsets.US_ASCII));
        Files.write(p, Arrays.copyOf(b.array(), b.position()));
        return p;
    }

    private static void check(Model m, List<String> names, String args, String want, Path mla) {
        Path in = m.input(tmp);
        List<String> words = new ArrayList<>(Arrays.asList(args.split(" ")));
        String ftype = words.removeLast();
        List<String> argv = new ArrayList<>(List.of("--flavor", "ik", "--dry-run"));
        for (String w : words) {
            argv.add(w.equals("IMATRIX") ? Fixtures.file(m.imatrix()).toString() : w.equals("MLAIMATRIX") ? mla.toString() : w);
        }
        argv.addAll(List.of(in.toString(), in.resolveSibling("unused-ik-type-choice.gguf").toString(), ftype));
        QuantizeCommand cmd = new QuantizeCommand();
        cmd.out = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
        CliSupport.configure(new CommandLine(cmd)).parseArgs(argv.toArray(String[]::new));
        try (GgufFile file = GgufFile.open(in)) {
            QuantizePlan plan;
            try {
                plan = cmd.setup(file, in).plan();
            } catch (KilnException e) {
                if (!want.startsWith("error: ")) fail("ik quantizes this, Kiln refused: " + e.getMessage());
                String ik = want.substring(7);
                assertTrue(e.getMessage().startsWith(ik), "ik: " + ik + "\nKiln: " + e.getMessage());
                return;
            }
            if (want.startsWith("error: ")) fail("ik refused (" + want + "), Kiln planned " + plan.typeCounts());
            List<String> types = List.of(want.split(" "));
            assertEquals(names.size(), types.size(), "reference line length");
            assertEquals(names.size(), plan.items().size(), "tensor count");
            List<String> diffs = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                QuantizePlan.Item it = plan.items().get(i);
                assertEquals(names.get(i), it.input().name(), "tensor order");
                if (!types.get(i).equals(it.target().ggmlName())) {
                    diffs.add(names.get(i) + ": ik " + types.get(i) + ", Kiln " + it.target().ggmlName());
                }
            }
            assertEquals(List.of(), diffs);
        }
    }

    static List<String> reference(String model) throws IOException {
        try (InputStream s = IkTypeChoiceTest.class.getResourceAsStream("ik-type-choice/" + model + ".txt")) {
            assertNotNull(s, "reference file for " + model);
            return new String(s.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }
}
