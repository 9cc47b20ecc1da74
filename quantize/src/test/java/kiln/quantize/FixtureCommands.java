package kiln.quantize;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import kiln.tensor.KilnException;
import kiln.tensor.codec.Flavor;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.testing.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** The llama-quantize command lines recorded in a fixture model's results/commands.json, parsed. */
record FixtureCommands(String model, String tag, Flavor flavor, String input, String output, String type, String imatrix,
                       List<String> extra, int rc) {

    static final Set<String> VALUE_OPTIONS = Set.of("--imatrix", "--custom-q", "--output-tensor-type", "--token-embedding-type",
            "--tensor-type", "--include-weights", "--exclude-weights");

    static List<FixtureCommands> all() {
        List<FixtureCommands> out = new ArrayList<>();
        for (String model : List.of("tiny-deepseek", "tiny-llama")) {
            Path cmds = Fixtures.require().resolve(model).resolve("results/commands.json");
            if (!Files.exists(cmds)) continue;
            try {
                for (JsonNode c : new ObjectMapper().readTree(cmds.toFile())) {
                    String tag = c.get("tag").asText();
                    String cmd = c.get("cmd").asText();
                    if (!tag.startsWith("quantize-") || !cmd.contains("llama-quantize") || cmd.contains("--repack")) continue;
                    out.add(parse(model, tag, cmd, c.get("rc").asInt()));
                }
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }
        return out;
    }

    static FixtureCommands parse(String model, String tag, String cmd, int rc) {
        String[] tok = cmd.trim().split("\\s+");
        Flavor flavor = tok[0].contains("ik_llama") ? Flavor.IK : Flavor.MAINLINE;
        String imatrix = null;
        List<String> extra = new ArrayList<>();
        List<String> pos = new ArrayList<>();
        for (int i = 1; i < tok.length; i++) {
            if (tok[i].equals("--imatrix")) imatrix = tok[++i];
            else if (VALUE_OPTIONS.contains(tok[i])) { extra.add(tok[i]); extra.add(tok[++i]); }
            else if (tok[i].startsWith("--")) extra.add(tok[i]);
            else pos.add(tok[i]);
        }
        return new FixtureCommands(model, tag, flavor, pos.get(0), pos.get(1), pos.get(2), imatrix, extra, rc);
    }

    Path dir() {
        return Fixtures.require().resolve(model);
    }

    /** The plan Kiln makes for this command. */
    QuantizePlan plan() {
        try (GgufFile in = GgufFile.open(dir().resolve(input))) {
            Ftype ft = Ftype.parse(type, flavor);
            boolean pure = extra.contains("--pure");
            QuantizeOptions opts = new QuantizeOptions(flavor, ft, pure, null, null, List.of(), extra.contains("--leave-output-tensor"), false, 2);
            ImatrixInput im = imatrix == null ? null : ImatrixInput.load(dir().resolve(imatrix), imatrix, List.of(), List.of(), flavor);
            return QuantizePlan.build(in.metadata(), in.tensors(), opts, im, false);
        }
    }

    /** The plan Kiln's command line ({@link #kilnArgs}) makes, every option included. */
    QuantizePlan cliPlan(Path out) {
        QuantizeCommand cmd = new QuantizeCommand();
        cmd.out = new java.io.PrintStream(java.io.OutputStream.nullOutputStream());
        kiln.tensor.cli.CliSupport.configure(new picocli.CommandLine(cmd)).parseArgs(kilnArgs(out));
        Path in = dir().resolve(input);
        try (GgufFile f = GgufFile.open(in)) {
            return cmd.setup(f, in).plan();
        }
    }

    /** Kiln's command line for the same work (input and imatrix resolved in the fixture folder). */
    String[] kilnArgs(Path out) {
        List<String> a = new ArrayList<>();
        a.add("--flavor");
        a.add(flavor == Flavor.IK ? "ik" : "mainline");
        if (imatrix != null) { a.add("--imatrix"); a.add(dir().resolve(imatrix).toString()); }
        a.addAll(extra);
        a.add(dir().resolve(input).toString());
        a.add(out.toString());
        a.add(type);
        a.add("2");
        return a.toArray(String[]::new);
    }

    @Override
    public String toString() {
        return model + ":" + tag;
    }

    static KilnException planError(FixtureCommands c) {
        try {
            c.plan();
            return null;
        } catch (KilnException e) {
            return e;
        }
    }
}
