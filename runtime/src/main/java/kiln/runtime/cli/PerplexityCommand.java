package kiln.runtime.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import kiln.runtime.eval.KldStats;
import kiln.runtime.eval.Perplexity;
import kiln.runtime.eval.PerplexityResult;
import kiln.runtime.kernel.KernelInfo;
import kiln.runtime.model.Model;
import kiln.runtime.model.ModelLoader;
import kiln.runtime.model.ModelOptions;
import kiln.tensor.KilnException;
import kiln.tensor.cli.KilnSubcommand;
import kiln.tensor.cli.Progress;
import kiln.tensor.io.TextFile;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;

@Command(name = "perplexity", mixinStandardHelpOptions = true,
        description = "Perplexity of a text (and KL divergence against base logits) computed as llama-perplexity computes it.")
public final class PerplexityCommand implements KilnSubcommand, Callable<Integer> {
    @Option(names = {"-m", "--model"}, required = true, description = "GGUF file (first file of a split set)")
    Path model;

    @Option(names = {"-f", "--file"}, description = "text file (one trailing newline is dropped, as llama.cpp does)")
    Path file;

    @Option(names = {"-c", "--ctx-size"}, description = "chunk / context size (default 512)")
    int nCtx = 512;

    @Option(names = "--chunks", description = "evaluate at most this many chunks (default: all)")
    int chunks = -1;

    @Option(names = "--kl-divergence-base", description = "logits file: written from -f, or read with --kl-divergence")
    Path klBase;

    @Option(names = "--kl-divergence", description = "compare with the logits in --kl-divergence-base (mean KLD, same top token)")
    boolean kl;

    @Option(names = "--json", description = "print one JSON object (ppl, ppl_stderr, chunks, n_ctx, …)")
    boolean json;

    @Mixin
    RuntimeOptions rt = new RuntimeOptions();

    @Override
    public Integer call() throws IOException {
        if (kl && klBase == null) throw new KilnException("--kl-divergence needs --kl-divergence-base FILE");
        if (!kl && file == null) throw new KilnException("no text: give -f FILE");
        Perplexity.checkContext(nCtx);
        ModelOptions options = rt.toModelOptions(nCtx);
        String text = null;
        if (!kl) {
            text = TextFile.read(file);
            if (text.endsWith("\n")) text = text.substring(0, text.length() - 1);
        }
        try (Model m = ModelLoader.load(model, options)) {
            if (!json) {
                rt.llamaCpp.noteIgnored(System.err, "perplexity");
                System.err.println("kiln perplexity: " + m.describe());
                System.err.println("kiln perplexity: " + m.kvCacheSize());
                System.err.println("kiln perplexity: " + KernelInfo.describe() + ", " + m.backend().threads() + " threads");
                if (rt.rtr) System.err.println("kiln perplexity: -rtr repacked " + m.repackedTensors() + " tensors to interleaved types");
            }
            Progress progress = json ? null : Progress.ofItems("perplexity", "chunks", chunks > 0 ? chunks : 0);
            PerplexityResult r = kl ? Perplexity.klDivergence(m, klBase, chunks, c -> report(progress, c))
                    : Perplexity.run(m, text, chunks, klBase, c -> report(progress, c));
            if (progress != null) progress.done();
            if (json) {
                ObjectMapper om = new ObjectMapper();
                ObjectNode o = om.createObjectNode();
                o.put("ppl", r.ppl());
                o.put("ppl_stderr", r.pplStderr());
                o.put("chunks", r.chunks());
                o.put("n_ctx", r.nCtx());
                o.put("scored_tokens", r.scored());
                o.put("n_tokens", r.nTokens());
                o.put("seconds", r.seconds());
                KldStats k = r.kld();
                if (k != null) {
                    o.put("mean_kld", k.meanKld());
                    o.put("mean_kld_stderr", k.meanKldError());
                    o.put("same_top_p", k.sameTop());
                    o.put("ppl_base", k.pplBase());
                }
                System.out.println(om.writeValueAsString(o));
            } else {
                System.out.printf("Final estimate: PPL = %.4f +/- %.5f (%d chunks of %d, %d scored tokens, %.1f s)%n",
                        r.ppl(), r.pplStderr(), r.chunks(), r.nCtx(), r.scored(), r.seconds());
                KldStats k = r.kld();
                if (k != null) {
                    System.out.printf("Mean PPL(Q)   : %.6f%nMean PPL(base): %.6f%n", k.pplQ(), k.pplBase());
                    System.out.printf("Mean KLD      : %.6f +/- %.6f%n", k.meanKld(), k.meanKldError());
                    System.out.printf("Same top p    : %.3f +/- %.3f %%%n", 100 * k.sameTop(), 100 * k.sameTopError());
                    System.out.printf("RMS dp        : %.3f %%, max |dp| %.3f %%%n", 100 * k.rmsPDiff(), 100 * k.maxPDiff());
                }
                if (klBase != null && !kl) System.out.println("saved logits to " + klBase);
            }
        }
        return 0;
    }

    private static void report(Progress p, int chunk) {
        if (p != null) p.advance(1, 0);
    }
}
