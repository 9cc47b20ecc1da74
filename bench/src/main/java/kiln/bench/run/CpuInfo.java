package kiln.bench.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The CPU's model name (from /proc/cpuinfo on Linux), for benchmark rows. */
final class CpuInfo {
    private static String name;

    private CpuInfo() {}

    static synchronized String name() {
        if (name == null) {
            name = System.getProperty("os.arch");
            try {
                for (String l : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                    if (l.startsWith("model name")) {
                        name = l.substring(l.indexOf(':') + 1).trim();
                        break;
                    }
                }
            } catch (IOException | RuntimeException ignored) {
                // keep the architecture name
            }
        }
        return name;
    }
}
