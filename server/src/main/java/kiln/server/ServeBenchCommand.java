package kiln.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import kiln.tensor.KilnException;
import kiln.tensor.cli.KilnSubcommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

@Command(name = "serve-bench", mixinStandardHelpOptions = true,
        description = "Load generator for an OpenAI-compatible server (kiln serve, llama-server): at each number of concurrent clients, "
                + "requests/s, generated tokens/s and p50/p99 latency of /v1/completions.")
public final class ServeBenchCommand implements KilnSubcommand, Callable<Integer> {
    @Option(names = "--url", description = "server (default http://127.0.0.1:8080)")
    String url = "http://127.0.0.1:8080";

    @Option(names = "--clients", split = ",", description = "concurrent clients, one run each (default 1,4,16)")
    int[] clients = {1, 4, 16};

    @Option(names = "--requests", description = "requests per client (default 4)")
    int requests = 4;

    @Option(names = {"-n", "--max-tokens"}, description = "tokens generated per request, end of generation ignored (default 64)")
    int maxTokens = 64;

    @Option(names = {"-p", "--prompt"}, description = "prompt (default: a short English sentence; each client adds its number so no two share a cache)")
    String prompt = "The quick brown fox jumps over the lazy dog. Once upon a time";

    @Option(names = "--api-key", description = "sent as Authorization: Bearer (default: KILN_API_KEY)")
    String apiKey = System.getenv("KILN_API_KEY");

    @Option(names = "--json", description = "one JSON object per level instead of the table")
    boolean json;

    /** One level's figures. */
    record Level(int clients, int requests, double seconds, long tokens, double p50Ms, double p99Ms) {
        double requestsPerSecond() {
            return requests / seconds;
        }

        double tokensPerSecond() {
            return tokens / seconds;
        }
    }

    @Override
    public Integer call() throws Exception {
        if (requests < 1 || maxTokens < 1) throw new KilnException("--requests and --max-tokens must be at least 1");
        for (int c : clients) if (c < 1) throw new KilnException("--clients " + c + " is not a number of clients (≥ 1)");
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
        send(http, 0, 0); // warm-up, and a clear error when nothing listens
        if (!json) out.println("| clients | requests | requests/s | generated tokens/s | p50 latency (ms) | p99 latency (ms) |\n|---:|---:|---:|---:|---:|---:|");
        for (int c : clients) {
            Level l = run(http, c);
            if (json) {
                ObjectNode o = Http.JSON.createObjectNode();
                o.put("clients", l.clients()).put("requests", l.requests()).put("seconds", l.seconds()).put("generated_tokens", l.tokens())
                        .put("requests_per_second", l.requestsPerSecond()).put("tokens_per_second", l.tokensPerSecond())
                        .put("p50_ms", l.p50Ms()).put("p99_ms", l.p99Ms());
                out.println(Http.JSON.writeValueAsString(o));
            } else {
                out.println(String.format(Locale.ROOT, "| %d | %d | %.2f | %.1f | %.0f | %.0f |", l.clients(), l.requests(),
                        l.requestsPerSecond(), l.tokensPerSecond(), l.p50Ms(), l.p99Ms()));
            }
        }
        return 0;
    }

    Level run(HttpClient http, int nClients) throws Exception {
        List<double[]> results = new ArrayList<>(); // {latency ms, tokens}
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<List<double[]>>> fs = new ArrayList<>();
            for (int c = 0; c < nClients; c++) {
                int ci = c;
                fs.add(pool.submit(() -> {
                    List<double[]> mine = new ArrayList<>();
                    for (int r = 0; r < requests; r++) {
                        long s = System.nanoTime();
                        long tokens = send(http, ci, r);
                        mine.add(new double[]{(System.nanoTime() - s) / 1e6, tokens});
                    }
                    return mine;
                }));
            }
            for (Future<List<double[]>> f : fs) results.addAll(f.get());
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double[] lat = results.stream().mapToDouble(r -> r[0]).sorted().toArray();
        long tokens = (long) results.stream().mapToDouble(r -> r[1]).sum();
        return new Level(nClients, results.size(), seconds, tokens, percentile(lat, 50), percentile(lat, 99));
    }

    static double percentile(double[] sorted, double p) {
        if (sorted.length == 0) return 0;
        int i = (int) Math.ceil(p / 100 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** One request; returns the generated tokens (usage.completion_tokens). */
    private long send(HttpClient http, int client, int request) throws IOException, InterruptedException {
        ObjectNode body = Http.JSON.createObjectNode();
        body.put("prompt", client + ". " + prompt);
        body.put("max_tokens", maxTokens);
        body.put("temperature", 0);
        body.put("ignore_eos", true);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url + "/v1/completions")).timeout(Duration.ofMinutes(10))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(Http.JSON.writeValueAsString(body)));
        if (apiKey != null && !apiKey.isBlank()) b.header("Authorization", "Bearer " + apiKey);
        HttpResponse<String> r;
        try {
            r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (java.net.ConnectException e) {
            throw new KilnException("nothing answers at " + url + " (start one with kiln serve, or give --url)");
        }
        if (r.statusCode() != 200) {
            throw new KilnException(url + " answered " + r.statusCode() + ": " + KilnException.printable(r.body(), 200), 1, null);
        }
        JsonNode usage = Http.JSON.readTree(r.body()).path("usage");
        return usage.path("completion_tokens").asLong();
    }

}
