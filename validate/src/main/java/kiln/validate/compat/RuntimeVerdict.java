package kiln.validate.compat;

import java.util.List;

/**
 * Whether one runtime would load a model, and why (not).
 *
 * @param runtime         "llama.cpp", "ik_llama.cpp" or "kiln"
 * @param loads           true/false, or null when Kiln cannot tell (an architecture it has no rules for)
 * @param expectedTensors the number of tensors that runtime would create from this file's hyper-parameters
 *                        (null when the hyper-parameters are too broken to tell)
 * @param reason          one line: what happens and why ("will not load: …", "loads …")
 * @param warnings        loads, but computes something other than the model was trained for, etc.
 */
public record RuntimeVerdict(String runtime, Boolean loads, Long expectedTensors, String reason, List<String> warnings) {
    public RuntimeVerdict {
        warnings = List.copyOf(warnings);
    }

    /** "llama.cpp: will not load: …" */
    public String line() {
        return runtime + ": " + reason;
    }
}
