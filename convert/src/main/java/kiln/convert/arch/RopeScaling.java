package kiln.convert.arch;

import kiln.convert.hf.JsonDoc;

/** rope_scaling of a config (or of a GGUF's rope.scaling.* keys). Null fields are absent. */
public record RopeScaling(String type, Double factor, Long originalContext, Double extFactor, Double attnFactor,
                          Double betaFast, Double betaSlow, Double mscaleAllDim) {

    /** From config.json's rope_scaling (or rope_parameters), or null when absent / without a factor. */
    public static RopeScaling fromConfig(JsonDoc config) {
        JsonDoc rs = config.child("rope_scaling");
        if (rs == null) rs = config.child("rope_parameters");
        if (rs == null) return null;
        String type = rs.optString("rope_type");
        if (type == null) type = rs.optString("type");
        Double factor = rs.optDouble("factor");
        if (type == null || factor == null) return null;
        return new RopeScaling(type, factor, rs.optLong("original_max_position_embeddings"), rs.optDouble("extrapolation_factor"),
                rs.optDouble("attention_factor", "attn_factor"), rs.optDouble("beta_fast"), rs.optDouble("beta_slow"),
                rs.optDouble("mscale_all_dim"));
    }
}
