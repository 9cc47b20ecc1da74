package kiln.runtime.model;

import kiln.cuda.oracle.RouteParams;
import kiln.cuda.oracle.RouterOracle;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The CUDA routing kernel's scalar oracle (cuda module) chooses the same experts with the same weights as the CPU
 * runtime's Router (whose greedy tokens match the reference tools), for DeepSeek-V3's and V2-Lite's settings.
 */
class RouterMatchesCudaOracleTest {
    @Test
    void sameExpertsSameWeights() {
        RouteParams[] ps = {new RouteParams(256, 8, 8, 4, true, true, 2.5f), new RouteParams(64, 6, 1, 1, false, false, 1f),
                new RouteParams(160, 6, 8, 3, false, true, 16f)};
        for (RouteParams p : ps) {
            Random r = new Random(p.nExpert());
            int ntok = 20;
            float[] logits = new float[ntok * p.nExpert()], bias = p.sigmoid() ? new float[p.nExpert()] : null;
            for (int i = 0; i < logits.length; i++) logits[i] = (float) (2 * r.nextGaussian());
            if (bias != null) for (int i = 0; i < bias.length; i++) bias[i] = (float) (0.05 * r.nextGaussian());
            RouterOracle.Routed ref = RouterOracle.route(logits, ntok, bias, p);
            Router cpu = new Router(p.nExpert(), p.used(), p.nGroup(), p.groupUsed(), p.sigmoid() ? Router.GATING_SIGMOID : Router.GATING_SOFTMAX,
                    p.normalize(), p.scale(), false);
            int[] ids = new int[ntok * p.used()];
            float[] w = new float[ids.length];
            for (int t = 0; t < ntok; t++) cpu.route(logits, t * p.nExpert(), bias, ids, w, t * p.used());
            assertArrayEquals(ref.ids(), ids, p.toString());
            assertArrayEquals(ref.weights(), w, 1e-6f * p.scale(), p.toString()); // float vs double sums: rounding only
        }
    }
}
