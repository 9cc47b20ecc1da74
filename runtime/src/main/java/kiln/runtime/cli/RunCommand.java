package kiln.runtime.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import kiln.runtime.eval.Generation;
import kiln.runtime.kernel.KernelInfo;
import kiln.runtime.model.Model;
import kiln.runtime.model.ModelLoader;
import kiln.runtime.model.ModelOptions;
import kiln.runtime.sample.Sampler;
import kiln.tensor.KilnException;
import kiln.tensor.cli.KilnSubcommand;
import kiln.tensor.io.TextFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Generate text from a GGUF model on the CPU (llama, deepseek2), like llama-cli / llama-simple.")
public final class RunCommand implements KilnSubcommand, Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-m", "--model"}, required = true, description = "GGUF file (first file of a split set)")
    Path model;

    @Option(names = {"-p", "--prompt"}, description = "prompt text")
    String prompt;

    @Option(names = {"-f", "--file"}, description = "read the prompt from a file")
    Path promptFile;

    @Option(names = {"-n", "--n-predict"}, description = "tokens to generate (default 128, -1 = until EOS or context end)")
    int nPredict = 128;

    @Option(names = {"-c", "--ctx-size"}, description = "context size (default: the model's, at most 4096)")
    int nCtx = 0;

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

    @Option(names = "--ignore-eos", description = "keep generating after the end-of-sequence token")
    boolean ignoreEos;

    @Option(names = "--json", description = "print one JSON object (prompt_token_ids, generated_token_ids, text, timings) instead of streaming")
    boolean json;

    @Mixin
    RuntimeOptions rt = new RuntimeOptions();

    @Override
    public Integer call() throws IOException {
        sampling.check();
        ModelOptions options = rt.toModelOptions(nCtx);
        String text = prompt;
        if (promptFile != null) {
            if (text != null) throw new KilnException("give either -p or -f, not both");
            text = TextFile.read(promptFile);
        }
        if (text == null) throw new KilnException("no prompt: give -p TEXT or -f FILE");
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        PrintStream err = System.err;
        long tl0 = System.nanoTime();
        try (Model m = ModelLoader.load(model, options)) {
            double loadMs = (System.nanoTime() - tl0) / 1e6;
            int[] ids = m.tokenizer().encode(text, true, true); // llama-cli parses special tokens in prompts
            if (ids.length > m.nCtx()) {
                throw new KilnException("the prompt is " + ids.length + " tokens long but the context is " + m.nCtx() + " (use a larger -c)");
            }
            if (!json) {
                rt.llamaCpp.noteIgnored(err, "run");
                err.println("kiln run: " + m.describe());
                err.println("kiln run: " + m.kvCacheSize());
                err.println("kiln run: " + KernelInfo.describe() + ", " + m.backend().threads() + " threads, n_ctx " + m.nCtx());
                if (rt.rtr) err.println("kiln run: -rtr repacked " + m.repackedTensors() + " tensors to interleaved types");
            }
            Sampler sampler = sampling.sampler(m.nVocab());
            Utf8Stream stream = new Utf8Stream(out);
            Generation.Result r = Generation.run(m, ids, nPredict, rt.batch, sampler, ignoreEos,
                    json ? null : tok -> stream.write(m.tokenizer().piece(tok)));
            String generated = m.tokenizer().decode(r.generated());
            if (json) {
                ObjectMapper om = new ObjectMapper();
                ObjectNode o = om.createObjectNode();
                o.putPOJO("prompt_token_ids", r.prompt());
                o.putPOJO("generated_token_ids", r.generated());
                o.put("text", generated);
                ObjectNode t = o.putObject("timings");
                t.put("load_ms", loadMs);
                t.put("prompt_ms", r.promptMs());
                t.put("prompt_tokens", r.prompt().length);
                t.put("prompt_tokens_per_second", r.prompt().length / (r.promptMs() / 1000));
                t.put("generation_ms", r.genMs());
                t.put("generated_tokens", r.generated().length);
                t.put("generation_tokens_per_second", r.generated().length > 1 ? (r.generated().length - 1) / (r.genMs() / 1000) : 0);
                t.put("threads", m.backend().threads());
                t.put("kernels", m.backend().kernels().name());
                out.println(om.writeValueAsString(o));
            } else {
                stream.flush();
                out.println();
                if (r.stoppedAtContext()) err.println("kiln run: stopped: the context of " + m.nCtx() + " tokens is full");
                int runs = Math.max(0, r.generated().length - 1);
                err.printf("%nkiln run:        load time = %10.2f ms%n", loadMs);
                err.printf("kiln run: prompt eval time = %10.2f ms / %5d tokens (%8.2f ms per token, %8.2f tokens per second)%n",
                        r.promptMs(), r.prompt().length, r.promptMs() / r.prompt().length, r.prompt().length / (r.promptMs() / 1000));
                err.printf("kiln run:        eval time = %10.2f ms / %5d runs   (%8.2f ms per token, %8.2f tokens per second)%n",
                        r.genMs(), runs, runs > 0 ? r.genMs() / runs : 0, runs > 0 ? runs / (r.genMs() / 1000) : 0);
                err.printf("kiln run:       total time = %10.2f ms / %5d tokens%n", loadMs + r.promptMs() + r.genMs(),
                        r.prompt().length + r.generated().length);
            }
        }
        return 0;
    }

    /** Writes token bytes to a stream, holding back an incomplete UTF-8 sequence until it is complete. */
    static final class Utf8Stream {
        private final PrintStream out;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        Utf8Stream(PrintStream out) {
            this.out = out;
        }

        void write(byte[] b) {
            pending.writeBytes(b);
            byte[] all = pending.toByteArray();
            int complete = Utf8.completePrefix(all);
            out.write(all, 0, complete);
            out.flush();
            pending.reset();
            pending.write(all, complete, all.length - complete);
        }

        void flush() {
            out.write(pending.toByteArray(), 0, pending.size());
            pending.reset();
            out.flush();
        }
    }
}
