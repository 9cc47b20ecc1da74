package kiln.cuda.oracle;

/** Scalar oracle of swiglu.cu: silu(gate) · up, silu(g) = g / (1 + e^−g). */
public final class SwigluOracle {
    private SwigluOracle() {}

    public static float[] apply(float[] gate, float[] up) {
        float[] out = new float[gate.length];
        for (int i = 0; i < gate.length; i++) out[i] = (float) (gate[i] / (1 + Math.exp(-gate[i])) * up[i]);
        return out;
    }
}
