package kiln.bench.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import kiln.tensor.KilnException;
import kiln.tensor.io.PendingOutput;
import kiln.tensor.Parallel;
import kiln.tensor.cli.KilnSubcommand;
import kiln.tensor.cli.Progress;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code kiln synth}: a random-weight HuggingFace checkpoint of a named shape, so benchmarks need no download. */
@Command(name = "synth", mixinStandardHelpOptions = true,
        description = "Write a random-weight HuggingFace checkpoint (bf16 safetensors, config, tokenizer) of a named shape.")
public final class SynthCommand implements Callable<Integer>, KilnSubcommand {

    @Option(names = "--preset", description = "Shape: ${COMPLETION-CANDIDATES}", completionCandidates = PresetNames.class)
    String preset;

    @Option(names = {"-o", "--output"}, description = "Output folder (created; must be empty or absent).")
    Path out;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = {"-t", "--threads"}, description = "Threads (default: all cores).")
    int threads = Parallel.defaultThreads();

    @Option(names = "--list", description = "List the presets and exit.")
    boolean list;

    static final class PresetNames implements Iterable<String> {
        public java.util.Iterator<String> iterator() {
            return Preset.ALL.stream().map(Preset::name).iterator();
        }
    }

    @Override
    public Integer call() throws IOException {
        if (list) {
            for (Preset p : Preset.ALL) System.out.println(p.name() + "  " + p.description());
            return 0;
        }
        if (preset == null || out == null) throw new KilnException("--preset NAME and -o DIR are required (kiln synth --list shows the presets)");
        Preset p = Preset.byName(preset);
        if (Files.exists(out) && (!Files.isDirectory(out) || Files.list(out).findAny().isPresent())) {
            throw new KilnException(out + ": output folder exists and is not empty");
        }
        Path parent = out.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        try (PendingOutput pending = PendingOutput.directory(out)) {
            Path tmp = pending.path();
            List<SynthTensor> tensors = SynthModel.tensors(p);
            long params = tensors.stream().mapToLong(SynthTensor::elements).sum();
            Progress progress = new Progress("synth " + p.name(), tensors.size(), params * 2);
            long bytes = SafetensorsWriter.write(tmp, tensors, seed, threads);
            ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
            om.writeValue(tmp.resolve("config.json").toFile(), SynthModel.config(p));
            om.writeValue(tmp.resolve("generation_config.json").toFile(), Map.of("bos_token_id", 0, "eos_token_id", 1));
            SynthTokenizer.write(tmp, p.vocab(), seed);
            progress.done();
            pending.commit();
            System.out.printf("synth: %s → %s: %d tensors, %,d parameters, %s of bf16 in %.1f s%n", p.name(), out, tensors.size(),
                    params, Progress.human(bytes), progress.seconds());
            return 0;
        }
    }
}
