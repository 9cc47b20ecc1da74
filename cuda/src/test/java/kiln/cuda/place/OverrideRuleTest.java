package kiln.cuda.place;

import kiln.tensor.KilnException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** llama.cpp's -ot rules: comma lists split at the first '=', regex searched in the name, first match wins. */
class OverrideRuleTest {
    @Test
    void aCommaListKeepsItsOrderAndTheFirstMatchWins() {
        List<OverrideRule> rules = OverrideRule.parseList("blk\\.0\\.ffn_up_exps=CUDA1,\\.ffn_.*_exps\\.=CPU,attn=CUDA0");
        assertEquals(3, rules.size());
        assertEquals(Target.cuda(1), OverrideRule.firstMatch(rules, "blk.0.ffn_up_exps.weight"));
        assertEquals(Target.CPU, OverrideRule.firstMatch(rules, "blk.1.ffn_up_exps.weight"));
        assertEquals(Target.cuda(0), OverrideRule.firstMatch(rules, "blk.1.attn_q.weight"));
        assertNull(OverrideRule.firstMatch(rules, "output.weight"));
    }

    @Test
    void theRegexIsSearchedNotMatchedWhole() {
        OverrideRule r = OverrideRule.parseList("exps=CPU").getFirst();
        assertTrue(r.matches("blk.3.ffn_down_exps.weight"));
        assertFalse(r.matches("blk.3.ffn_down_shexp.weight"));
        assertTrue(OverrideRule.parseList("^output=CPU").getFirst().matches("output.weight"));
        assertFalse(OverrideRule.parseList("^output=CPU").getFirst().matches("blk.0.output.weight"));
    }

    @Test
    void theValueSplitsAtTheFirstEquals() {
        // llama.cpp: override.find('='): the rest is the buffer name, so "a=b=CPU" names buffer "b=CPU"
        KilnException e = assertThrows(KilnException.class, () -> OverrideRule.parseList("a=b=CPU"));
        assertTrue(e.getMessage().contains("'b=CPU' is not a buffer type"), e.getMessage());
    }

    @Test
    void badRulesAreOneLineNamingTheRule() {
        assertEquals("-ot 'exps' is not REGEX=BUFFER (e.g. -ot \"\\.ffn_.*_exps\\.=CPU\")",
                assertThrows(KilnException.class, () -> OverrideRule.parseList("exps")).getMessage());
        assertTrue(assertThrows(KilnException.class, () -> OverrideRule.parseList("exps=cpu")).getMessage()
                .contains("'cpu' is not a buffer type; use CPU, CUDA0, CUDA1"));
        assertTrue(assertThrows(KilnException.class, () -> OverrideRule.parseList("ffn_(up=CPU")).getMessage()
                .startsWith("-ot 'ffn_(up': not a regular expression"));
        assertThrows(KilnException.class, () -> OverrideRule.parseList("=CPU"));
        assertThrows(KilnException.class, () -> OverrideRule.parseList("exps=CPU,"), "a trailing comma is an empty rule");
    }

    @Test
    void nCpuMoeIsOneRulePerLayerFromLayerZero() {
        List<OverrideRule> rules = OverrideRule.firstLayersExpertsOnCpu(3);
        assertEquals(List.of("blk\\.0\\.ffn_(up|down|gate)_exps=CPU", "blk\\.1\\.ffn_(up|down|gate)_exps=CPU",
                "blk\\.2\\.ffn_(up|down|gate)_exps=CPU"), rules.stream().map(OverrideRule::toString).toList());
        assertEquals(Target.CPU, OverrideRule.firstMatch(rules, "blk.2.ffn_gate_exps.weight"));
        assertNull(OverrideRule.firstMatch(rules, "blk.3.ffn_gate_exps.weight"));
        assertNull(OverrideRule.firstMatch(rules, "blk.12.ffn_gate_exps.weight"), "blk.1 must not match blk.12");
        assertNull(OverrideRule.firstMatch(rules, "blk.0.ffn_gate_shexp.weight"), "shared experts stay with their layer");
        assertTrue(OverrideRule.firstLayersExpertsOnCpu(0).isEmpty());
        assertThrows(KilnException.class, () -> OverrideRule.firstLayersExpertsOnCpu(-1));
        assertTrue(OverrideRule.allExpertsOnCpu().matches("blk.60.ffn_up_exps.weight"));
    }
}
