package kiln.bench.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.bench.plot.ResultsReader;
import kiln.bench.plot.SpeedPoint;
import kiln.tensor.cli.CliSupport;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchCommandsTest {
    private static final ObjectMapper OM = new ObjectMapper();

    record Out(int code, String text) {}

    private static synchronized Out run(Object cmd, String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            int code = CliSupport.run(cmd, args);
            return new Out(code, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(old);
        }
    }

    private static Path model() {
        return Fixtures.file("tiny-deepseek/ik/tiny-deepseek-Q8_0.gguf");
    }

    @Test
    void jsonlRowsCarryLlamaBenchFieldsAndTheRoofline() throws IOException {
        Out o = run(new BenchCommand(), "-m", model().toString(), "-p", "16", "-n", "4", "-r", "2", "-t", "1", "--bandwidth", "10", "-o", "jsonl");
        assertEquals(0, o.code(), o.text());
        List<JsonNode> rows = new ArrayList<>();
        for (String l : o.text().strip().split("\n")) rows.add(OM.readTree(l));
        assertEquals(2, rows.size(), o.text());
        JsonNode pp = rows.get(0), tg = rows.get(1);
        assertEquals("pp16", pp.get("test").asText());
        assertEquals(16, pp.get("n_prompt").asInt());
        assertEquals(0, pp.get("n_gen").asInt());
        assertEquals("tg4", tg.get("test").asText());
        assertEquals(2, tg.get("samples_ts").size());
        assertTrue(tg.get("avg_ts").asDouble() > 0);
        assertTrue(tg.has("stddev_ts") && tg.has("avg_ns") && tg.has("model_filename") && tg.has("n_threads"));
        assertEquals(10.0, tg.get("bandwidth_gbs").asDouble());
        double expectedPct = 100.0 * tg.get("active_bytes_per_token").asLong() * tg.get("avg_ts").asDouble() / 10e9;
        assertEquals(expectedPct, tg.get("roofline_pct").asDouble(), 1e-9);
        assertTrue(!pp.has("roofline_pct"), "prompt rows have no roofline");
        // the plot reads them back
        Path f = Files.createTempFile("bench", ".jsonl");
        Files.writeString(f, o.text());
        List<SpeedPoint> pts = ResultsReader.read(f);
        assertEquals(2, pts.size());
        Files.delete(f);
    }

    @Test
    void csvJsonAndMarkdownParseBack() throws IOException {
        String m = model().toString();
        Out csv = run(new BenchCommand(), "-m", m, "-p", "8", "-n", "2", "-r", "1", "-t", "1", "--no-roofline", "-o", "csv");
        assertEquals(0, csv.code(), csv.text());
        String[] lines = csv.text().strip().split("\n");
        assertEquals(3, lines.length);
        String[] header = lines[0].split(",");
        assertEquals(header.length, lines[1].split("\",\"").length, "every row has a cell per header field");
        assertTrue(lines[0].contains("n_prompt") && lines[0].contains("avg_ts") && lines[0].contains("stddev_ts"));

        Out json = run(new BenchCommand(), "-m", m, "-p", "8", "-n", "2", "-r", "1", "-t", "1", "--no-roofline", "-o", "json");
        JsonNode arr = OM.readTree(json.text());
        assertTrue(arr.isArray());
        assertEquals(2, arr.size());
        assertEquals("tg2", arr.get(1).get("test").asText());

        Out md = run(new BenchCommand(), "-m", m, "-p", "8", "-n", "2", "-r", "1", "-t", "1", "--no-roofline");
        assertTrue(md.text().startsWith("| model"), md.text());
        assertTrue(md.text().contains("pp8") && md.text().contains("tg2"), md.text());
    }

    @Test
    void sweepBenchRowsFollowIkSemanticsAndKeyOrder() throws IOException {
        Out o = run(new SweepBenchCommand(), "-m", model().toString(), "-c", "64", "-ub", "16", "-t", "1", "-o", "jsonl");
        assertEquals(0, o.code(), o.text());
        String[] lines = o.text().strip().split("\n");
        assertEquals(4, lines.length, o.text());
        List<String> keys = new ArrayList<>();
        for (Iterator<String> it = OM.readTree(lines[0]).fieldNames(); it.hasNext(); ) keys.add(it.next());
        assertEquals(List.of("n_kv_max", "n_batch", "n_ubatch", "flash_attn", "n_gpu_layers", "n_threads", "n_threads_batch",
                "pp", "tg", "n_kv", "t_pp", "speed_pp", "t_tg", "speed_tg"), keys);
        for (int i = 0; i < 4; i++) {
            JsonNode r = OM.readTree(lines[i]);
            assertEquals(16 * i, r.get("n_kv").asInt());
            assertEquals(16, r.get("pp").asInt());
            assertEquals(4, r.get("tg").asInt(), "tg defaults to ub/4");
            assertTrue(r.get("speed_pp").asDouble() > 0 && r.get("speed_tg").asDouble() > 0);
        }
        assertTrue(lines[0].endsWith(" }"), "ik ends each row with a space before the brace");
        Out md = run(new SweepBenchCommand(), "-m", model().toString(), "-c", "32", "-ub", "16", "-t", "1");
        assertTrue(md.text().contains("|    PP |     TG |   N_KV |   T_PP s | S_PP t/s |   T_TG s | S_TG t/s |"), md.text());
    }

    @Test
    void badOptionsAreExitCode2() {
        assertEquals(2, run(new BenchCommand(), "-m", model().toString(), "-o", "xml").code());
        assertEquals(2, run(new BenchCommand(), "-m", "/nonexistent.gguf").code());
        assertEquals(2, run(new SweepBenchCommand(), "-m", model().toString(), "-c", "8", "-ub", "16").code());
        assertEquals(2, run(new BenchCommand(), "-m", model().toString(), "-amb", "-1").code(), "-amb is MiB, 0 or more");
        assertEquals(2, run(new SweepBenchCommand(), "-m", model().toString(), "-amb", "big").code());
    }

    @Test
    void llamaCppFlagsAreAcceptedAndGpuFlagsRefused() throws IOException {
        String m = model().toString();
        Out o = run(new BenchCommand(), "-m", m, "-p", "8", "-n", "2", "-r", "1", "-t", "1", "--no-roofline", "-o", "jsonl",
                "-fa", "0,1", "-fmoe", "1", "-amb", "512", "-ser", "7,1", "-ngl", "0", "-ot", "exps=CPU", "--no-mmap", "--mlock");
        assertEquals(0, o.code(), o.text());
        List<Boolean> fa = new ArrayList<>();
        for (String l : o.text().strip().split("\n")) fa.add(OM.readTree(l).get("flash_attn").asBoolean());
        assertEquals(List.of(false, false, true, true), fa, "-fa 0,1 is recorded per configuration");
        Out s = run(new SweepBenchCommand(), "-m", m, "-c", "32", "-ub", "16", "-t", "1", "-o", "jsonl", "-fa", "-fmoe", "-tb", "1", "-ngl", "0",
                "-amb", "1"); // the KV line at load goes to stderr: stdout stays one JSON object a line
        assertEquals(0, s.code(), s.text());
        assertEquals(1, OM.readTree(s.text().strip().split("\n")[0]).get("flash_attn").asInt());
        for (String l : o.text().strip().split("\n")) {
            assertEquals(0, OM.readTree(l).get("n_gpu_layers").asInt());
            assertEquals("exps=CPU", OM.readTree(l).get("override_tensor").asText());
        }
        assertEquals(2, run(new BenchCommand(), "-m", m, "-ngl", "99").code());
        assertEquals(2, run(new BenchCommand(), "-m", m, "-ngl", "0,99").code());
        assertEquals(2, run(new SweepBenchCommand(), "-m", m, "-ngl", "99").code());
        assertEquals(2, run(new SweepBenchCommand(), "-m", m, "-ot", "exps=CUDA0").code());
    }

    @Test
    void gpuListsAreConfigurationsRecordedAsLlamaBenchDoes() throws IOException {
        String m = model().toString();
        Out o = run(new BenchCommand(), "-m", m, "-p", "0", "-n", "1", "-r", "1", "-t", "1", "--no-roofline", "-o", "jsonl",
                "-ngl", "0", "-ot", "exps=CPU;attn=CPU,exps=CPU", "--n-cpu-moe", "1");
        assertEquals(0, o.code(), o.text());
        List<String> ot = new ArrayList<>();
        for (String l : o.text().strip().split("\n")) ot.add(OM.readTree(l).get("override_tensor").asText());
        assertEquals(List.of("exps=CPU,blk\\.0\\.ffn_(up|down|gate)_exps=CPU", "attn=CPU,exps=CPU,blk\\.0\\.ffn_(up|down|gate)_exps=CPU"), ot);
        Out md = run(new BenchCommand(), "-m", m, "-p", "0", "-n", "1", "-r", "1", "-t", "1", "--no-roofline", "-ngl", "0", "-ot", "exps=CPU");
        assertTrue(md.text().contains("| ngl | ot ") && md.text().contains("|   0 | exps=CPU "), md.text());
        Out plain = run(new BenchCommand(), "-m", m, "-p", "0", "-n", "1", "-r", "1", "-t", "1", "--no-roofline");
        assertFalse(plain.text().contains("| ot "), "no ot column without rules: " + plain.text());
        assertEquals(2, run(new SweepBenchCommand(), "-m", m, "-ot", "a=CPU;b=CPU").code(), "one configuration in sweep-bench");
    }

    @Test
    void everyOptionHasHelpText() {
        for (Object cmd : new Object[] {new BenchCommand(), new SweepBenchCommand()}) {
            for (var opt : new picocli.CommandLine(cmd).getCommandSpec().options()) {
                assertTrue(opt.description().length > 0 && !opt.description()[0].isBlank(), opt.longestName() + " of " + cmd.getClass().getSimpleName());
            }
        }
    }

    @Test
    void matrixFailureOfAConfigurationIsARow(@TempDir Path dir) throws IOException {
        // the in-process path of --matrix is covered by MatrixRunnerTest; here only the argument check
        assertEquals(2, run(new BenchCommand(), "--matrix", dir.resolve("m.json").toString()).code());
    }
}
