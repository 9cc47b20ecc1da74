package kiln.bench.plot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.tensor.KilnException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads benchmark results in JSONL: rows of {@code kiln sweep-bench -o jsonl} / ik's llama-sweep-bench
 * ({@code n_kv}, {@code speed_pp}, {@code speed_tg}) and rows of {@code kiln bench -o jsonl} (llama-bench fields
 * {@code n_prompt}, {@code n_gen}, {@code n_depth}, {@code avg_ts}). A row's series is its {@code config} field
 * (written by {@code kiln bench --matrix}), else the file name; FAIL rows are skipped.
 */
public final class ResultsReader {
    private ResultsReader() {}

    public static List<SpeedPoint> read(Path file) {
        ObjectMapper om = new ObjectMapper();
        List<SpeedPoint> out = new ArrayList<>();
        String fallback = file.getFileName().toString().replaceFirst("\\.jsonl?$", "");
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new KilnException(file + ": cannot read: " + e.getMessage());
        }
        int lineNo = 0;
        for (String line : lines) {
            lineNo++;
            if (line.isBlank()) continue;
            JsonNode n;
            try {
                n = om.readTree(line);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new KilnException(file + ":" + lineNo + ": not a JSON object: " + e.getOriginalMessage());
            }
            if (n.path("status").asText("ok").startsWith("FAIL")) continue;
            String series = n.hasNonNull("config") ? n.get("config").asText()
                    + (n.hasNonNull("model") ? " · " + Path.of(n.get("model").asText()).getFileName() : "") : fallback;
            if (n.has("speed_pp") || n.has("speed_tg")) {
                long depth = n.path("n_kv").asLong(0);
                if (n.has("speed_pp")) out.add(new SpeedPoint(series, false, depth, n.get("speed_pp").asDouble()));
                if (n.has("speed_tg")) out.add(new SpeedPoint(series, true, depth, n.get("speed_tg").asDouble()));
            } else if (n.has("avg_ts")) {
                boolean gen = n.path("n_gen").asLong(0) > 0;
                long depth = n.path("n_depth").asLong(0) + (gen ? n.path("n_prompt").asLong(0) : 0);
                out.add(new SpeedPoint(series, gen, depth, n.get("avg_ts").asDouble()));
            } else {
                throw new KilnException(file + ":" + lineNo + ": row has neither speed_pp/speed_tg (sweep-bench) nor avg_ts (bench)");
            }
        }
        return out;
    }
}
