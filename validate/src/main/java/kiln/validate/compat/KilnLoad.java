package kiln.validate.compat;

import kiln.runtime.model.ModelLoader;
import kiln.tensor.KilnException;

import java.nio.file.Path;

/**
 * Kiln's verdict on a model file: the runtime's own load ({@link ModelLoader#check}), so that {@code kiln validate}
 * says "loads" exactly when {@code kiln run} loads the file, and otherwise gives run's refusal. The simulated rules
 * ({@link Compatibility#kiln}) remain for recorded inventories, which have no data to load.
 */
public final class KilnLoad {
    private KilnLoad() {}

    /** @param simulated the rules' verdict for the same file: its expected tensor count and warnings are kept */
    public static RuntimeVerdict of(Path file, RuntimeVerdict simulated) {
        try {
            String described = ModelLoader.check(file);
            boolean agrees = Boolean.TRUE.equals(simulated.loads());
            return new RuntimeVerdict(Compatibility.KILN, true, agrees ? simulated.expectedTensors() : null,
                    "loads (" + described + ")", agrees ? simulated.warnings() : java.util.List.of());
        } catch (KilnException e) {
            return new RuntimeVerdict(Compatibility.KILN, false, simulated.expectedTensors(), "will not load: " + withoutFileName(e.getMessage(), file),
                    java.util.List.of());
        } catch (RuntimeException | OutOfMemoryError e) {
            // a damaged file the loader does not yet refuse in one line: say so rather than "loads"
            return new RuntimeVerdict(Compatibility.KILN, false, simulated.expectedTensors(),
                    "will not load: Kiln's loader fails with " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()),
                    java.util.List.of());
        }
    }

    /** The runtime's messages start with the file's name; the report names the file once. */
    private static String withoutFileName(String message, Path file) {
        String name = file.getFileName() + ": ";
        return message.startsWith(name) ? message.substring(name.length()) : message;
    }
}
