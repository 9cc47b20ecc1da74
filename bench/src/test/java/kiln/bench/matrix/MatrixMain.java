package kiln.bench.matrix;

import java.nio.file.Path;
import java.util.List;

/** Runs a matrix in its own JVM, so the resume test can kill it mid-run. Args: matrix.json results.jsonl fakeDir. */
public final class MatrixMain {
    public static void main(String[] args) {
        new MatrixRunner(MatrixRunnerTest.fakeCommand(Path.of(args[2])), System.out)
                .run(MatrixSpec.read(Path.of(args[0])), Path.of(args[1]));
    }

    static List<String> unused() {
        return List.of();
    }
}
