package kiln.imatrix.cli;

import kiln.imatrix.ImatrixTool;
import kiln.tensor.cli.KilnSubcommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

@Command(name = "imatrix", mixinStandardHelpOptions = true,
        description = {"Importance matrix through Kiln's runtime, as llama-imatrix computes it (mainline or ik_llama.cpp),",
                "including DeepSeek's attn_k_b/attn_v_b (-mla 1..3) or attn_kv_b (-mla 0); or convert/merge imatrix files."},
        customSynopsis = {"kiln imatrix -m FILE -f TEXT -o OUT [-c 512] [--chunks N] [--format dat|gguf] [-mla N] [--in-file F ...] [-t N]",
                "kiln imatrix --convert IN --format dat|gguf -o OUT [-m FILE]"})
public final class ImatrixCommand implements KilnSubcommand, Callable<Integer> {
    @Option(names = {"-m", "--model"}, description = "GGUF model (bf16/f32 recommended)")
    Path model;

    @Option(names = {"-f", "--file"}, description = "calibration text (one trailing newline is dropped)")
    Path text;

    @Option(names = {"-o", "--output-file"}, required = true, description = "output imatrix file (written atomically)")
    Path out;

    @Option(names = {"-c", "--ctx-size"}, description = "tokens per chunk (default 512)")
    int nCtx = 512;

    @Option(names = {"-b", "--batch-size"}, description = "logical batch size (default 2048; llama-imatrix uses min(b, c))")
    int batch = 2048;

    @Option(names = {"-ub", "--ubatch-size"}, description = "micro-batch size (default 512)")
    int ubatch = 512;

    @Option(names = "--chunks", description = "process at most N chunks (default: all)")
    int chunks = -1;

    @Option(names = "--chunk", description = "skip the first N chunks of the text (default 0)")
    int skipChunks = 0;

    @Option(names = "--output-frequency", description = "write OUT every N chunks (default 10)")
    int outFreq = 10;

    @Option(names = "--save-frequency", description = "also keep a copy OUT.at_N every N chunks (default 0: none)")
    int saveFreq = 0;

    @Option(names = {"--format", "--output-format"}, description = "dat (legacy, ik's format) or gguf (mainline's); default: the reference tool's")
    String format;

    @Option(names = {"-mla", "--mla-use"}, description = "DeepSeek MLA mode: 0 records attn_kv_b, 1..3 attn_k_b/attn_v_b (default 3)")
    int mla = 3;

    @Option(names = "--in-file", description = "earlier imatrix file to merge (repeatable; either format)")
    List<Path> inFiles = new ArrayList<>();

    @Option(names = "--convert", description = "convert this imatrix file to --format and write it to -o (no model run)")
    Path convert;

    @Option(names = "--no-ppl", description = "do not compute the running perplexity (faster: logits of the last token only)")
    boolean noPpl;

    @Option(names = "--process-output", description = "also collect output.weight")
    boolean processOutput;

    @Option(names = "--reference", description = "tool to reproduce: auto (by the file's layout: ik's MLA layout -> ik), mainline, ik")
    String reference = "auto";

    @Option(names = "--numerics", description = "runtime numerics: auto (default: the reference tool's), mainline, ik, f32")
    String numerics = "auto";

    @Option(names = {"-t", "--threads"}, description = "threads (default: all cores)")
    int threads = Runtime.getRuntime().availableProcessors();

    @Override
    public Integer call() {
        ImatrixTool.Options o = new ImatrixTool.Options(model, text, out, nCtx, batch, ubatch, chunks, format, mla, inFiles,
                convert, processOutput, reference, threads, numerics, skipChunks, outFreq, saveFreq, noPpl);
        return ImatrixTool.run(o, System.err);
    }
}
