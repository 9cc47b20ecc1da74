package kiln.bench.matrix;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import kiln.tensor.KilnException;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Runs models × configurations in sequence, each in its own process (a crash, an abort or an out-of-memory in
 * one configuration cannot end the run), appends every result row to the results JSONL as soon as it finishes
 * (fsynced), skips (model, config) pairs the results file already has, and records a failing configuration
 * as a row {@code "status": "FAIL: <reason>"}.
 */
public final class MatrixRunner {
    private final List<String> benchCommand;
    private final PrintStream log;

    /** @param benchCommand the command that runs {@code kiln bench} (its arguments are appended) */
    public MatrixRunner(List<String> benchCommand, PrintStream log) {
        this.benchCommand = List.copyOf(benchCommand);
        this.log = log;
    }

    /** Runs what is not done yet; returns all rows of the results file afterwards. */
    public List<ObjectNode> run(MatrixSpec spec, Path results) {
        Set<String> done = doneKeys(results);
        int total = spec.models().size() * spec.configs().size();
        int i = 0;
        for (String model : spec.models()) {
            for (MatrixSpec.Config cfg : spec.configs()) {
                i++;
                String key = key(model, cfg.name());
                if (done.contains(key)) {
                    log.printf("[%d/%d] %s on %s: done before, skipped%n", i, total, cfg.name(), model);
                    continue;
                }
                log.printf("[%d/%d] %s on %s ...%n", i, total, cfg.name(), model);
                List<ObjectNode> rows = runOne(model, cfg, spec.bench());
                append(results, rows);
                log.printf("[%d/%d] %s on %s: %s%n", i, total, cfg.name(), model,
                        rows.getFirst().path("status").asText());
            }
        }
        return readRows(results);
    }

    private List<ObjectNode> runOne(String model, MatrixSpec.Config cfg, List<String> bench) {
        List<String> cmd = new ArrayList<>(benchCommand);
        cmd.add("-m");
        cmd.add(model);
        cmd.addAll(bench);
        cmd.addAll(cfg.args());
        cmd.add("-o");
        cmd.add("jsonl");
        ObjectMapper om = new ObjectMapper();
        List<ObjectNode> rows = new ArrayList<>();
        String reason;
        try {
            Path err = Files.createTempFile("kiln-matrix", ".err");
            try {
                Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE).start();
                p.getOutputStream().close();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                int code = p.waitFor();
                for (String line : out.split("\n")) {
                    if (!line.isBlank() && line.trim().startsWith("{")) {
                        JsonNode n = om.readTree(line);
                        if (n instanceof ObjectNode o) rows.add(o);
                    }
                }
                List<String> errLines = Files.readAllLines(err, StandardCharsets.UTF_8).stream()
                        .filter(l -> !l.isBlank() && !l.startsWith("WARNING: Using incubator modules")).toList();
                if (code == 0 && !rows.isEmpty()) {
                    reason = null;
                } else if (code == 0) {
                    reason = "no results printed";
                } else {
                    String last = errLines.isEmpty() ? "" : errLines.getLast();
                    reason = describeExit(code) + (last.isEmpty() ? "" : ": " + last);
                }
            } finally {
                Files.deleteIfExists(err);
            }
        } catch (IOException e) {
            reason = "cannot start: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KilnException("interrupted", 1, e);
        }
        if (reason != null) {
            rows.clear();
            ObjectNode fail = om.createObjectNode();
            rows.add(fail);
            fail.put("status", "FAIL: " + reason);
        }
        for (ObjectNode r : rows) {
            r.put("model", model);
            r.put("config", cfg.name());
            if (!r.has("status")) r.put("status", "ok");
        }
        return rows;
    }

    private static String describeExit(int code) {
        if (code > 128) return "crashed (signal " + (code - 128) + ")";
        return "exit code " + code;
    }

    static String key(String model, String config) {
        return model + "\u0000" + config;
    }

    private static Set<String> doneKeys(Path results) {
        Set<String> done = new LinkedHashSet<>();
        for (ObjectNode r : readRows(results)) done.add(key(r.path("model").asText(), r.path("config").asText()));
        return done;
    }

    /** Rows of a results file; a torn last line (the process was killed while writing) is ignored. */
    public static List<ObjectNode> readRows(Path results) {
        List<ObjectNode> rows = new ArrayList<>();
        if (!Files.exists(results)) return rows;
        ObjectMapper om = new ObjectMapper();
        try {
            for (String line : Files.readAllLines(results, StandardCharsets.UTF_8)) {
                if (line.isBlank()) continue;
                try {
                    if (om.readTree(line) instanceof ObjectNode o) rows.add(o);
                } catch (IOException torn) {
                    // a line cut by a kill: that configuration will simply run again
                }
            }
        } catch (IOException e) {
            throw new KilnException(results + ": cannot read results: " + e.getMessage());
        }
        return rows;
    }

    private static void append(Path results, List<ObjectNode> rows) {
        StringBuilder sb = new StringBuilder();
        for (ObjectNode r : rows) sb.append(r.toString()).append('\n');
        try (FileChannel ch = FileChannel.open(results, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(java.nio.ByteBuffer.wrap(sb.toString().getBytes(StandardCharsets.UTF_8)));
            ch.force(true);
        } catch (IOException e) {
            throw new KilnException(results + ": cannot append results: " + e.getMessage());
        }
    }

    /** One markdown table, a row per (model, config) and test, like the tables users post. */
    public static String markdown(List<ObjectNode> rows) {
        Map<String, List<ObjectNode>> byRun = new LinkedHashMap<>();
        for (ObjectNode r : rows) byRun.computeIfAbsent(key(r.path("model").asText(), r.path("config").asText()), k -> new ArrayList<>()).add(r);
        StringBuilder sb = new StringBuilder();
        sb.append("| config | model | test | t/s | roofline |\n|---|---|---|---:|---:|\n");
        for (List<ObjectNode> run : byRun.values()) {
            for (ObjectNode r : run) {
                String model = Path.of(r.path("model").asText()).getFileName().toString();
                String status = r.path("status").asText("ok");
                if (status.startsWith("FAIL")) {
                    sb.append("| ").append(r.path("config").asText()).append(" | ").append(model).append(" | — | ")
                            .append(status.replace("|", "/")).append(" | |\n");
                    continue;
                }
                String test = r.path("test").asText(r.has("n_kv") ? "sweep@" + r.path("n_kv").asLong() : "?");
                String ts = r.has("avg_ts") ? String.format(java.util.Locale.ROOT, "%.2f ± %.2f", r.path("avg_ts").asDouble(), r.path("stddev_ts").asDouble()) : "";
                String roof = r.has("roofline_pct") ? String.format(java.util.Locale.ROOT, "%.1f %%", r.path("roofline_pct").asDouble()) : "";
                sb.append("| ").append(r.path("config").asText()).append(" | ").append(model).append(" | ").append(test)
                        .append(" | ").append(ts).append(" | ").append(roof).append(" |\n");
            }
        }
        return sb.toString();
    }
}
