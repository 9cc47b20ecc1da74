package kiln.bench.plot;

import kiln.tensor.KilnException;
import kiln.tensor.cli.KilnSubcommand;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code kiln plot}: speed against context depth from benchmark JSONL files. */
@Command(name = "plot", mixinStandardHelpOptions = true,
        description = "Chart prompt and generation speed against context depth from kiln bench / sweep-bench JSONL results.")
public final class PlotCommand implements Callable<Integer>, KilnSubcommand {

    @Parameters(arity = "1..*", paramLabel = "RESULTS.jsonl", description = "Result files (JSONL).")
    List<Path> inputs;

    @Option(names = {"-o", "--output"}, required = true, description = "Chart file: .png or .svg.")
    Path out;

    @Option(names = "--title", defaultValue = "Kiln benchmark", description = "Chart title.")
    String title;

    @Option(names = "--width", defaultValue = "1000") int width;
    @Option(names = "--height", defaultValue = "700") int height;

    @Override
    public Integer call() {
        System.setProperty("java.awt.headless", "true");
        List<SpeedPoint> points = new ArrayList<>();
        for (Path p : inputs) points.addAll(ResultsReader.read(p));
        if (points.isEmpty()) throw new KilnException("no measurements in " + inputs + " (only FAIL rows or empty files)");
        SpeedChart.write(SpeedChart.build(points, title), out, width, height);
        long series = points.stream().map(SpeedPoint::series).distinct().count();
        System.out.println("plot: " + out + ": " + series + " runs, " + points.size() + " points");
        return 0;
    }
}
