package kiln.tensor.repack;

import kiln.tensor.GgmlType;
import kiln.tensor.gguf.TensorInfo;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

class RepackFileTypesTest {
    private static TensorInfo t(String name, GgmlType type) {
        return new TensorInfo(name, type, new long[] {256, 4}, 0, 0);
    }

    @Test
    void ikMap() {
        assertEquals(202, RepackFileTypes.repacked(2));
        assertEquals(207, RepackFileTypes.repacked(7));
        assertEquals(208, RepackFileTypes.repacked(8));   // ftype Q5_0_R4 = 208 (type id 208 is Q8_0_R8)
        assertEquals(211, RepackFileTypes.repacked(12));
        assertEquals(214, RepackFileTypes.repacked(14));
        assertEquals(214, RepackFileTypes.repacked(15));
        assertEquals(218, RepackFileTypes.repacked(18));
        assertEquals(230, RepackFileTypes.repacked(30));
        assertEquals(232, RepackFileTypes.repacked(32));
        assertEquals(335, RepackFileTypes.repacked(135));
        assertEquals(398, RepackFileTypes.repacked(149));
        assertEquals(3, RepackFileTypes.repacked(3));      // Q4_1: unchanged
        assertEquals(1, RepackFileTypes.repacked(1));      // F16: unchanged even though F16 tensors may be repacked
        assertEquals(7 | 1024, RepackFileTypes.repacked(7 | 1024));
    }

    @Test
    void undoDerivesTheMix() {
        List<TensorInfo> m = List.of(t("blk.0.ffn_down.weight", GgmlType.Q6_K), t("blk.1.ffn_down.weight", GgmlType.Q4_K));
        List<TensorInfo> s = List.of(t("blk.0.ffn_down.weight", GgmlType.Q5_K), t("output.weight", GgmlType.Q6_K));
        assertEquals(15, RepackFileTypes.undo(214, m));
        assertEquals(14, RepackFileTypes.undo(214, s));
        assertEquals(17, RepackFileTypes.undo(216, m));
        assertEquals(16, RepackFileTypes.undo(216, s));
        assertEquals(13, RepackFileTypes.undo(211, List.of(t("blk.0.ffn_down_exps.weight", GgmlType.Q5_K))));
        assertEquals(12, RepackFileTypes.undo(211, List.of(t("blk.0.ffn_down.weight", GgmlType.Q5_K), t("blk.1.ffn_down.weight", GgmlType.Q4_K))));
        assertEquals(11, RepackFileTypes.undo(211, List.of(t("blk.0.ffn_down.weight", GgmlType.Q3_K))));
        assertEquals(7, RepackFileTypes.undo(207, List.of()));
        assertEquals(30, RepackFileTypes.undo(230, List.of()));
        assertEquals(135, RepackFileTypes.undo(335, List.of()));
        assertEquals(3, RepackFileTypes.undo(3, List.of()));
        // every map entry inverts to a value that maps back
        for (long f = 0; f < 400; f++) {
            long r = RepackFileTypes.repacked(f);
            if (r != f) assertEquals(r, RepackFileTypes.repacked(RepackFileTypes.undo(r, List.of())), "ftype " + f);
        }
    }

    @Test
    void guessLikeIksLoader() {
        assertEquals(15 | 1024, RepackFileTypes.guess(List.of(t("a", GgmlType.Q4_K), t("b", GgmlType.Q6_K))));
        // the first type to reach the highest count wins
        assertEquals(18 | 1024, RepackFileTypes.guess(List.of(t("a", GgmlType.Q6_K), t("b", GgmlType.Q4_K))));
        assertEquals(214 | 1024, RepackFileTypes.guess(List.of(t("a", GgmlType.Q4_K_R4))));
        assertEquals(0 | 1024, RepackFileTypes.guess(List.of(t("a", GgmlType.Q8_K))));
        assertEquals(33 | 1024, RepackFileTypes.guess(List.of(t("a", GgmlType.Q4_0_4X4))));
    }
}
