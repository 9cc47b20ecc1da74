package kiln.cuda.oracle;

/**
 * A DeepSeek router's settings from the GGUF: expert_count, expert_used_count, expert_group_count and
 * expert_group_used_count (1 and 1 without groups), expert_gating_func (sigmoid for V3/R1, softmax for V2),
 * expert_weights_norm and expert_weights_scale.
 */
public record RouteParams(int nExpert, int used, int nGroup, int groupUsed, boolean sigmoid, boolean normalize, float scale) {}
