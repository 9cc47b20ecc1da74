package kiln.server;

import kiln.runtime.cli.RuntimeOptions;
import kiln.runtime.cli.SamplingOptions;
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

    @Mixin
    SamplingOptions sampling = new SamplingOptions();

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
        sampling.check();
        if (nPredict == 0 || nPredict < -1) throw new KilnException("-n must be -1 or at least 1");
        boolean console = System.console() != null && in == System.in;
        String templateText = ChatTemplates.readFile(chatTemplateFile);
        try (Model m = ModelLoader.load(model, rt.toModelOptions(nCtx))) {
            ChatTemplates.Choice t = ChatTemplates.choose(model, chatTemplateFile, templateText, m.tokenizer());
            System.err.println("kiln chat: " + m.describe() + "; chat template: " + t.origin());
            Sampler sampler = sampling.sampler(m.nVocab());
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
