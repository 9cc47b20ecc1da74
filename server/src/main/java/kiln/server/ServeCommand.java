package kiln.server;

import kiln.runtime.cli.RuntimeOptions;
import kiln.runtime.kernel.KernelInfo;
import kiln.runtime.model.Model;
import kiln.runtime.model.ModelLoader;
import kiln.tensor.KilnException;
import kiln.tensor.cli.KilnSubcommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "An OpenAI-compatible HTTP server for a GGUF model (like llama-server): /v1/chat/completions, /v1/completions, "
                + "/v1/models, /health, /metrics, /tokenize, /detokenize, /apply-template; parallel slots decoded in one batch.")
public final class ServeCommand implements KilnSubcommand, Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, description = "GGUF file (first file of a split set)")
    Path model;

    @Option(names = "--host", description = "address to listen on (default 127.0.0.1: this machine only)")
    String host = "127.0.0.1";

    @Option(names = "--port", description = "port (default 8080; 0 = any free port)")
    int port = 8080;

    @Option(names = {"-np", "--parallel"}, description = "slots: requests decoded together in one batch (default 1)")
    int parallel = 1;

    @Option(names = {"-c", "--ctx-size"}, description = "context of each slot (default: the model's, at most 4096)")
    int nCtx = 0;

    @Option(names = "--api-key", description = "require 'Authorization: Bearer KEY' (default: the KILN_API_KEY environment variable, else none)")
    String apiKey = System.getenv("KILN_API_KEY");

    @Option(names = "--chat-template-file", description = "Jinja chat template to use instead of the file's tokenizer.chat_template")
    Path chatTemplateFile;

    @Option(names = {"-a", "--alias"}, description = "model name clients use (default: the file name)")
    String alias;

    @Option(names = {"-n", "--n-predict"}, description = "most tokens one request may generate (default -1: up to the slot's context)")
    int tokenCap = -1;

    @Option(names = "--queue-size", description = "requests that may wait for a slot; more get 429 (default 64)")
    int queueSize = 64;

    @Option(names = "--max-body-size", description = "largest request body in bytes; larger gets 413 (default 8388608)")
    long maxBody = 8L << 20;

    @Option(names = "--reasoning-format", description = "deepseek (default): <think>…</think> to reasoning_content; none: left in content")
    String reasoningFormat = "deepseek";

    @Mixin
    RuntimeOptions rt = new RuntimeOptions();

    @Override
    public Integer call() throws Exception {
        if (parallel < 1) throw new KilnException("--parallel must be at least 1");
        if (port < 0 || port > 65535) throw new KilnException("--port " + port + " is not a port (0 … 65535)");
        if (queueSize < 1) throw new KilnException("--queue-size must be at least 1");
        if (maxBody < 1) throw new KilnException("--max-body-size must be at least 1 byte");
        if (tokenCap == 0 || tokenCap < -1) throw new KilnException("-n must be -1 (the context) or at least 1");
        if (!reasoningFormat.equals("deepseek") && !reasoningFormat.equals("none")) {
            throw new KilnException("--reasoning-format '" + reasoningFormat + "' is not one of deepseek, none");
        }
        if (apiKey != null && apiKey.isBlank()) apiKey = null;
        boolean loopback = isLoopback(host);
        PrintStream err = System.err;
        var options = rt.toModelOptions(nCtx).withSequences(parallel);
        String templateText = ChatTemplates.readFile(chatTemplateFile);
        ServerConfig config = new ServerConfig(host, port, parallel, queueSize, maxBody, apiKey, tokenCap, reasoningFormat.equals("deepseek"));
        Model m = ModelLoader.load(model, options);
        try {
            ChatTemplates.Choice t = ChatTemplates.choose(model, chatTemplateFile, templateText, m.tokenizer());
            String name = alias != null ? alias : model.getFileName().toString();
            KilnServer server = new KilnServer(new ServedModel(m, name, t.template(), config.reasoning(), EndOfGeneration.of(model, m.tokenizer())), config);
            rt.llamaCpp.noteIgnored(err, "serve");
            err.println("kiln serve: " + m.describe());
            err.println("kiln serve: " + m.kvCacheSize());
            err.println("kiln serve: " + KernelInfo.describe() + ", " + m.backend().threads() + " threads, " + parallel + " slots × "
                    + m.nCtx() + " tokens, chat template: " + t.origin());
            if (!loopback && apiKey == null) err.println("kiln serve: warning: listening on " + host + " without --api-key: anyone who can reach it can use it");
            err.println("kiln serve: listening on http://" + host + ":" + server.port() + " (model '" + name + "')");
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                stopped.countDown();
            }));
            stopped.await();
        } finally {
            m.close();
        }
        return 0;
    }

    private static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new KilnException("--host '" + host + "' is not an address this machine knows");
        }
    }
}
