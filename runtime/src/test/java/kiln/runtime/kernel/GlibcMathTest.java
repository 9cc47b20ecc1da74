package kiln.runtime.kernel;

import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Kiln's ports of glibc's expf and sincosf against the C library of the machine running the test (through FFM),
 * bit for bit, over the arguments ggml gives them (softmax exponents, RoPE angles). Runs where the C library is
 * glibc (whose x86-64 FMA variants the reference builds used); elsewhere it reports itself skipped.
 */
class GlibcMathTest {
    private static final Linker LINKER = Linker.nativeLinker();

    private static MethodHandle find(String name, FunctionDescriptor d) {
        return LINKER.defaultLookup().find(name).map(s -> LINKER.downcallHandle(s, d)).orElse(null);
    }

    /** glibc on x86-64, version 2.28 or later (the expf/sincosf Kiln ports were introduced in 2.28). */
    private static void assumeGlibcOnX86() throws Throwable {
        Assumptions.assumeTrue(System.getProperty("os.arch").equals("amd64"), "x86-64 only");
        MethodHandle version = find("gnu_get_libc_version", FunctionDescriptor.of(ValueLayout.ADDRESS));
        Assumptions.assumeTrue(version != null, "the C library is not glibc");
        String v = ((MemorySegment) version.invokeExact()).reinterpret(32).getString(0);
        String[] p = v.split("\\.");
        int major = Integer.parseInt(p[0]), minor = Integer.parseInt(p[1].replaceAll("[^0-9].*", ""));
        Assumptions.assumeTrue(major > 2 || (major == 2 && minor >= 28), "glibc " + v + " predates the ported expf/sincosf");
    }

    @Test
    void expfIsGlibcs() throws Throwable {
        assumeGlibcOnX86();
        MethodHandle expf = find("expf", FunctionDescriptor.of(ValueLayout.JAVA_FLOAT, ValueLayout.JAVA_FLOAT));
        SplittableRandom r = new SplittableRandom(3);
        int differFromMathExp = 0;
        for (int i = 0; i < 300_000; i++) {
            float x = i < 1000 ? -i * 0.1f : (float) (r.nextDouble() * 190 - 102);
            float c = (float) expf.invokeExact(x);
            assertEquals(Float.floatToRawIntBits(c), Float.floatToRawIntBits(GgmlMath.expf(x)), "expf(" + x + ")");
            if (c != (float) Math.exp(x)) differFromMathExp++;
        }
        System.out.println("glibc expf differs from (float) Math.exp in " + differFromMathExp + " of 300000 arguments");
    }

    @Test
    void sincosfIsGlibcs() throws Throwable {
        assumeGlibcOnX86();
        MethodHandle sincosf = find("sincosf", FunctionDescriptor.ofVoid(ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
        SplittableRandom r = new SplittableRandom(5);
        float[] sc = new float[2];
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment s = arena.allocate(4), c = arena.allocate(4);
            for (int i = 0; i < 200_000; i++) {
                float x = i < 70_000 ? i * 0.5f : i < 100_000 ? (float) r.nextDouble() : (float) ((r.nextDouble() - 0.5) * 1e6);
                sincosf.invokeExact(x, s, c);
                GgmlMath.sincosf(x, sc, 0);
                assertEquals(Float.floatToRawIntBits(s.get(ValueLayout.JAVA_FLOAT, 0)), Float.floatToRawIntBits(sc[0]), "sin(" + x + ")");
                assertEquals(Float.floatToRawIntBits(c.get(ValueLayout.JAVA_FLOAT, 0)), Float.floatToRawIntBits(sc[1]), "cos(" + x + ")");
            }
        }
    }
}
