package kiln.cli;

import kiln.tensor.cli.CliSupport;
import kiln.tensor.cli.KilnSubcommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/**
 * The {@code kiln} root command. Subcommands are discovered with {@link ServiceLoader} from every module on
 * the class path ({@code META-INF/services/kiln.tensor.cli.KilnSubcommand}).
 *
 * <p>Exit codes: 0 ok, 1 failure of the work, 2 bad usage or bad input — always one line on stderr.
 */
@Command(name = "kiln", mixinStandardHelpOptions = true, version = "kiln 0.1.0",
        description = "HuggingFace checkpoint → GGUF → quantized → repacked → validated → run, for DeepSeek and Llama models.",
        subcommandsRepeatable = false)
public final class Kiln implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Kiln());
        List<KilnSubcommand> subs = new ArrayList<>();
        ServiceLoader.load(KilnSubcommand.class).forEach(subs::add);
        subs.sort(Comparator.comparing(s -> new CommandLine(s).getCommandName()));
        for (KilnSubcommand s : subs) cl.addSubcommand(s);
        CliSupport.configure(cl);
        return cl;
    }

    /**
     * llama-cli's conversation mode: {@code kiln run … -cnv} (or {@code --conversation}) is {@code kiln chat …}, with
     * {@code -p TEXT} as the system message as llama-cli takes it in that mode. Other arguments are unchanged.
     */
    static String[] conversation(String[] args) {
        if (args.length == 0 || !args[0].equals("run")) return args;
        List<String> rest = List.of(args).subList(1, args.length);
        if (!rest.contains("-cnv") && !rest.contains("--conversation")) return args;
        List<String> out = new ArrayList<>(List.of("chat"));
        for (String a : rest) {
            if (a.equals("-cnv") || a.equals("--conversation")) continue;
            out.add(a.equals("-p") || a.equals("--prompt") ? "-sys" : a);
        }
        return out.toArray(String[]::new);
    }

    public static void main(String[] args) {
        int code = commandLine().execute(conversation(args));
        System.out.flush();
        System.exit(code);
    }
}
