package kiln.bench.matrix;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Stands in for {@code kiln bench} in the matrix tests. Its behaviour comes from the args: {@code --fake ok|crash|fail|slow-once}.
 * Every invocation leaves a marker file in the folder named by the system property {@code fake.dir}.
 */
public final class FakeBench {
    public static void main(String[] args) throws Exception {
        List<String> a = List.of(args);
        String mode = a.get(a.lastIndexOf("--fake") + 1);
        String model = a.get(a.indexOf("-m") + 1);
        Path dir = Path.of(System.getProperty("fake.dir"));
        String id = Path.of(model).getFileName() + "-" + mode;
        Files.createTempFile(dir, "run-" + id + "-", ".marker");
        switch (mode) {
            case "crash" -> Runtime.getRuntime().halt(134);
            case "fail" -> {
                System.err.println("kiln bench: cannot run type q4_k_r4");
                System.exit(2);
            }
            case "slow-once" -> {
                Path once = dir.resolve("slept-" + id);
                if (!Files.exists(once)) {
                    Files.createFile(once);
                    Thread.sleep(60_000);
                }
            }
            default -> { }
        }
        System.out.println("{\"test\": \"tg32\", \"n_prompt\": 0, \"n_gen\": 32, \"avg_ts\": 12.5, \"stddev_ts\": 0.5}");
    }
}
