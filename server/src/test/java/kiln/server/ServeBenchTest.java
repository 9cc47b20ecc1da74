package kiln.server;

import kiln.tensor.cli.CliSupport;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.net.http.HttpClient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The load generator counts what the server generated and orders latencies into percentiles. */
class ServeBenchTest {
    @Test
    void percentiles() {
        double[] v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        assertEquals(5, ServeBenchCommand.percentile(v, 50));
        assertEquals(10, ServeBenchCommand.percentile(v, 99));
        assertEquals(1, ServeBenchCommand.percentile(new double[]{1}, 99));
    }

    @Test
    void levelAgainstARealServer() throws Exception {
        Fixtures.require();
        try (TestServer s = new TestServer(TestServer.LLAMA, ServerConfig.loopback(2), null)) {
            ServeBenchCommand b = new ServeBenchCommand();
            b.url = s.base();
            b.requests = 3;
            b.maxTokens = 5;
            ServeBenchCommand.Level l = b.run(HttpClient.newHttpClient(), 2);
            assertEquals(6, l.requests());
            assertEquals(30, l.tokens(), "ignore_eos: every request generates max_tokens");
            assertTrue(l.p50Ms() > 0 && l.p99Ms() >= l.p50Ms());
        }
    }

    @Test
    void nothingListeningIsOneLine() {
        ServeBenchCommand b = new ServeBenchCommand();
        assertEquals(2, CliSupport.run(b, "--url", "http://127.0.0.1:9", "--clients", "1"));
    }
}
