package kiln.runtime.model;

import kiln.tensor.KilnException;
import kiln.tensor.gguf.GgufMetadata;

/** The rope keys of a model ({@code <arch>.rope.*}): base, scaling type/factor, YaRN parameters. */
record RopeConfig(float freqBase, String scalingType, float factor, int nCtxOrig, float yarnLogMul) {

    static RopeConfig read(GgufMetadata md, String arch, String file) {
        float base = (float) md.getDouble(arch + ".rope.freq_base", 10000.0);
        String type = md.getString(arch + ".rope.scaling.type", "none");
        float factor = (float) md.getDouble(arch + ".rope.scaling.factor", 0.0);
        if (factor == 0.0f) {
            double lin = md.getDouble(arch + ".rope.scale_linear", 0.0);
            if (lin != 0.0) {
                factor = (float) lin;
                type = "linear";
            }
        }
        int orig = (int) md.getLong(arch + ".rope.scaling.original_context_length", md.getLong(arch + ".context_length", 2048));
        float logMul = (float) md.getDouble(arch + ".rope.scaling.yarn_log_multiplier", 0.0);
        if (!type.equals("none") && !type.equals("linear") && !type.equals("yarn")) {
            throw new KilnException(file + ": " + arch + ".rope.scaling.type '" + type + "' is not supported; Kiln runs none, linear and yarn");
        }
        if (factor <= 0.0f) type = "none";
        return new RopeConfig(base, type, factor, orig, logMul);
    }

    float freqScale() {
        return type().equals("none") ? 1.0f : 1.0f / factor;
    }

    String type() {
        return scalingType;
    }

    float extFactor() {
        return scalingType.equals("yarn") ? 1.0f : 0.0f;
    }
}
