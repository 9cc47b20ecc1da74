package kiln.server;

/**
 * How the server listens and admits work: address, slots, queue, the largest body, the API key (null: none), the
 * per-request token cap (−1: the context) and whether DeepSeek-R1 thinking goes to {@code reasoning_content}.
 */
record ServerConfig(String host, int port, int parallel, int queueSize, long maxBodyBytes, String apiKey, int tokenCap,
                    boolean reasoning) {

    static ServerConfig loopback(int parallel) {
        return new ServerConfig("127.0.0.1", 0, parallel, 64, 8L << 20, null, -1, true);
    }

    ServerConfig withApiKey(String key) {
        return new ServerConfig(host, port, parallel, queueSize, maxBodyBytes, key, tokenCap, reasoning);
    }

    ServerConfig withMaxBody(long bytes) {
        return new ServerConfig(host, port, parallel, queueSize, bytes, apiKey, tokenCap, reasoning);
    }

    ServerConfig withQueue(int n) {
        return new ServerConfig(host, port, parallel, n, maxBodyBytes, apiKey, tokenCap, reasoning);
    }
}
