package kiln.convert.arch;

import kiln.tensor.gguf.GgufMetadata;

import java.util.List;
import java.util.Map;

/** One model family: checks a checkpoint against its config, maps tensors, writes its keys. */
public interface Architecture {
    /** general.architecture. */
    String name();

    /** Checks names and shapes of every checkpoint tensor (missing, extra, wrong shape → KilnException). */
    void check(Map<String, Input> inputs);

    /** The output tensors in the reference converter's yield order. */
    List<Mapped> map(List<Input> inputs);

    /** Appends the architecture keys (including general.file_type) after general.*. */
    void writeKeys(GgufMetadata m, int fileType);

    /** Whether general.quantization_version comes after the tokenizer keys (ik's converter) rather than before. */
    boolean quantVersionLast();
}
