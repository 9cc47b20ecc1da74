package kiln.convert.tensors;

/** float8_e4m3fn → f32, exact: bias 7, subnormals m·2^-9, 0x7F/0xFF NaN, no infinities. */
public final class Fp8E4M3 {
    private Fp8E4M3() {}

    private static final float[] TABLE = new float[256];

    static {
        for (int b = 0; b < 256; b++) TABLE[b] = decode(b);
    }

    public static float toFloat(byte b) {
        return TABLE[b & 0xFF];
    }

    static float decode(int b) {
        int sign = (b >> 7) & 1;
        int exp = (b >> 3) & 0xF;
        int man = b & 7;
        float v;
        if (exp == 0xF && man == 7) v = Float.NaN;
        else if (exp == 0) v = man * 0x1p-9f;
        else v = (1 + man / 8f) * (float) Math.pow(2, exp - 7);
        return sign == 1 ? -v : v;
    }
}
