package kiln.cuda.place;

import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/** llama.cpp's -ngl: the last N layers, the output head only when N > n_layer, split by free memory. */
class LayerSplitTest {
    private static String names(Target[] t) {
        return String.join(" ", Arrays.stream(t).map(Target::name).toList());
    }

    @Test
    void theLastLayersGoFirstAndTheOutputHeadOnlyPastTheBlockCount() {
        long[] one = {24L << 30};
        assertEquals("CPU CPU CPU CPU CPU", names(LayerSplit.assign(4, 0, one)));
        assertEquals("CPU CPU CUDA0 CUDA0 CPU", names(LayerSplit.assign(4, 2, one)));
        assertEquals("CUDA0 CUDA0 CUDA0 CUDA0 CPU", names(LayerSplit.assign(4, 4, one)));
        assertEquals("CUDA0 CUDA0 CUDA0 CUDA0 CUDA0", names(LayerSplit.assign(4, 5, one)));
        assertEquals("CUDA0 CUDA0 CUDA0 CUDA0 CUDA0", names(LayerSplit.assign(4, 999, one)));
        assertEquals("CPU CPU CPU CPU CPU", names(LayerSplit.assign(4, 999, new long[0])), "no device: everything on the CPU");
    }

    @Test
    void twoDevicesSplitInProportionToTheirMemory() {
        // 61 layers + output on 24 + 24 GiB: fractions il/62 below 0.5 go to CUDA0 (il 0..30), the rest to CUDA1
        Target[] t = LayerSplit.assign(61, 999, new long[] {24L << 30, 24L << 30});
        for (int il = 0; il <= 30; il++) assertEquals(Target.cuda(0), t[il], "layer " + il);
        for (int il = 31; il <= 61; il++) assertEquals(Target.cuda(1), t[il], "layer " + il);
        // 3:1: split at 0.75 of the offloaded layers; with -ngl 8 of 8 layers: layers 0..5 (f = 0/9..5/9 < .75), then 6..8
        t = LayerSplit.assign(8, 9, new long[] {36L << 30, 12L << 30});
        assertEquals("CUDA0 CUDA0 CUDA0 CUDA0 CUDA0 CUDA0 CUDA0 CUDA1 CUDA1", names(t));
    }
}
