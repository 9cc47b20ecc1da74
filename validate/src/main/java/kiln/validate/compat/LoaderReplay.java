package kiln.validate.compat;

import java.util.ArrayList;
import java.util.List;

/** The outcome of replaying one runtime's loader: its tensor claims, a note on how it reads the file, warnings. */
final class LoaderReplay {
    final TensorLoader loader;
    String note = "";
    final List<String> warnings = new ArrayList<>();

    LoaderReplay(TensorLoader loader) {
        this.loader = loader;
    }
}
