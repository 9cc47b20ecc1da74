package kiln.server;

import kiln.runtime.cli.RuntimeOptions;
import kiln.runtime.model.Model;
import kiln.runtime.model.ModelLoader;
import kiln.runtime.sample.Sampler;
import kiln.tensor.KilnException;
import kiln.tensor.cli.KilnSubcommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "chat", mixinStandardHelpOptions = true,
        description = "Chat with a GGUF model in the terminal, with its chat template (like llama-cli -cnv): one line per message; "
                + "/reset starts again, /exit (or end of input) quits.")
public final class ChatCommand implements KilnSubcommand, Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, description = "GGUF file (first file of a split set)")
    Path model;

    @Option(names = {"-c", "--ctx-size"}, description = "context size (default: the model's, at most 4096)")
    int nCtx = 0;

    @Option(names = {"-n", "--n-predict"}, description = "most tokens per reply (default -1: until end of generation or context)")
    int nPredict = -1;

    @Option(names = "--temp", description = "temperature (default 0.8; 0 = greedy)")
    float temp = 0.8f;

    @Option(names = "--top-k", description = "top-k (default 40, 0 = off)")
    int topK = 40;

    @Option(names = "--top-p", description = "top-p (default 0.95, 1 = off)")
    float topP = 0.95f;

    @Option(names = "--min-p", description = "min-p (default 0.05, 0 = off)")
    float minP = 0.05f;

    @Option(names = {"-s", "--seed"}, description = "random seed (default: random)")
    long seed = -1;

    @Option(names = {"-sys", "--system-prompt"}, description = "system message at the start of the conversation")
    String system;

    @Option(names = "--chat-template-file", description = "Jinja chat template to use instead of the file's tokenizer.chat_template")
    Path chatTemplateFile;

    @Mixin
    RuntimeOptions rt = new RuntimeOptions();

    /** Where messages come from and replies go (tests pipe them). */
    InputStream in = System.in;
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    @Override
    public Integer call() throws Exception {
        if (!Float.isFinite(temp) || temp < 0) throw new KilnException("--temp " + temp + " is not a temperature; expected a number ≥ 0");
        if (topK < 0) throw new KilnException("--top-k " + topK + " is negative");
        if (!(topP >= 0 && topP <= 1)) throw new KilnException("--top-p " + topP + " is outside 0 … 1");
        if (!(minP >= 0 && minP <= 1)) throw new KilnException("--min-p " + minP + " is outside 0 … 1");
        if (nPredict == 0 || nPredict < -1) throw new KilnException("-n must be -1 or at least 1");
        boolean console = System.console() != null && in == System.in;
        String templateText = ChatTemplates.readFile(chatTemplateFile);
        try (Model m = ModelLoader.load(model, rt.toModelOptions(nCtx))) {
            ChatTemplates.Choice t = ChatTemplates.choose(model, chatTemplateFile, templateText, m.tokenizer());
            System.err.println("kiln chat: " + m.describe() + "; chat template: " + t.origin());
            Sampler sampler = new Sampler(m.nVocab(), temp, topK, topP, minP, seed == -1 ? System.nanoTime() : seed);
            ChatSession session = new ChatSession(m, t.template(), EndOfGeneration.of(model, m.tokenizer()), sampler, nPredict, system);
            BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            while (true) {
                if (console) System.err.print("> ");
                String line = lines.readLine();
                if (line == null || line.strip().equals("/exit")) break;
                if (line.isBlank()) continue;
                if (line.strip().equals("/reset")) {
                    session.reset();
                    System.err.println("kiln chat: a new conversation");
                    continue;
                }
                try {
                    session.reply(line, s -> {
                        out.print(s);
                        out.flush();
                    });
                } catch (KilnException e) {
                    System.err.println("kiln chat: " + e.getMessage());
                }
                out.println();
            }
        }
        return 0;
    }
}
