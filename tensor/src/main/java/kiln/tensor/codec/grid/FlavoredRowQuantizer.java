package kiln.tensor.codec.grid;

import kiln.tensor.codec.Flavor;

/**
 * The state the flavoured grid quantizers (IQ1_S, IQ3_S, IQ3_XXS) share: whose bytes they reproduce, and whether
 * that flavour rounds with fused multiply-adds (ik_llama.cpp does, mainline does not; see {@link GridMath}).
 */
abstract class FlavoredRowQuantizer implements GridCodec.RowQuantizer {

    final Flavor flavor;
    final boolean fused;

    FlavoredRowQuantizer(Flavor flavor) {
        this.flavor = flavor;
        this.fused = flavor == Flavor.IK;
    }
}
