package kiln.cuda.upload;

import kiln.tensor.GgmlType;
import kiln.tensor.gguf.GgufFile;
import kiln.tensor.gguf.TensorInfo;
import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Interleaved tensors unpacked for upload are the plain rows ik_llama.cpp itself made: each interleaved tensor of ik's
 * direct quantizations to Q6_K_R4, Q8_0_R8, IQ4_XS_R8 and Q4_K_R4, unpacked, equals the same tensor of ik's plain
 * quantization wherever that chose the base type (fixtures made by the real tools).
 */
class GpuRowsTest {
    @ParameterizedTest
    @CsvSource({"Q6_K_R4, Q6_K", "Q8_0_R8, Q8_0", "IQ4_XS_R8, IQ4_XS", "Q4_K_R4, Q4_K_M"})
    void interleavedTensorsUnpackToIksPlainBytes(String packedFile, String baseFile) {
        int compared = 0;
        try (GgufFile packed = GgufFile.open(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-" + packedFile + ".gguf"));
             GgufFile base = GgufFile.open(Fixtures.file("tiny-deepseek/ik/tiny-deepseek-" + baseFile + ".gguf"));
             Arena arena = Arena.ofConfined()) {
            for (TensorInfo t : packed.tensors()) {
                if (!t.type().isInterleaved()) continue;
                TensorInfo b = base.tensor(t.name());
                if (b.type() != t.type().base()) continue; // the two mixes chose different types for this tensor
                GpuRows.Rows rows = GpuRows.of(t, packed.data(t), arena);
                assertEquals(b.type(), rows.type());
                assertEquals(-1, rows.bytes().mismatch(base.data(b)), t.name() + ": unpacked bytes differ from ik's " + b.type());
                compared++;
            }
        }
        assertTrue(compared > 0, "no tensor of " + packedFile + " has its base type in " + baseFile);
    }

    @Test
    void plainTypesPassThroughAndTheKernelTypesAreKnown() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment data = arena.allocate(34);
            TensorInfo t = new TensorInfo("x", GgmlType.Q8_0, new long[] {32, 1}, 0, 0);
            assertSame(data, GpuRows.of(t, data, arena).bytes());
        }
        for (GgmlType t : new GgmlType[] {GgmlType.Q8_0, GgmlType.Q4_K, GgmlType.Q6_K, GgmlType.IQ4_XS, GgmlType.Q8_0_R8, GgmlType.Q4_K_R4,
                GgmlType.Q6_K_R4, GgmlType.IQ4_XS_R8}) {
            assertTrue(GpuRows.supported(t), t.toString());
        }
        assertTrue(GpuRows.supported(GgmlType.Q5_K_R4));
        assertFalse(GpuRows.supported(GgmlType.Q3_K));
        assertFalse(GpuRows.supported(GgmlType.Q4_0_R8));
    }
}
