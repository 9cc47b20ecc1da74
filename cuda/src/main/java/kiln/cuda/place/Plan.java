package kiln.cuda.place;

import java.util.Map;

/**
 * Where everything goes and how much memory each place needs. Arrays are indexed by place: 0 = CPU, 1 + i = CUDAi.
 *
 * @param placement     tensor name → target, in file order
 * @param layers        target of layers 0 … n_layer (the last is the output head), as -ngl assigns them
 * @param classBytes    [class ordinal][place] weight bytes
 * @param classTensors  [class ordinal][place] tensor counts
 * @param modelBytes    [place] weight bytes
 * @param kvBytes       [place] cache bytes
 * @param computeBytes  [place] work buffers and the CUDA context (an estimate; 0 on the CPU)
 * @param deviceBytes   [device] free bytes the plan must fit in
 */
public record Plan(PlanRequest request, Map<String, Target> placement, Target[] layers, long[][] classBytes, int[][] classTensors,
                   long[] modelBytes, long[] kvBytes, long[] computeBytes, long[] deviceBytes) {

    public static int place(Target t) {
        return t.isCpu() ? 0 : 1 + t.cuda();
    }

    public long needed(int device) {
        int p = device + 1;
        return modelBytes[p] + kvBytes[p] + computeBytes[p];
    }

    /** The first device the plan does not fit on, or -1 when it fits everywhere. */
    public int overflowingDevice() {
        for (int d = 0; d < deviceBytes.length; d++) if (needed(d) > deviceBytes[d]) return d;
        return -1;
    }

    public boolean fits() {
        return overflowingDevice() < 0;
    }

    /** Layers (output head included) on a GPU, as llama.cpp's "offloaded N/M layers". */
    public int offloadedLayers() {
        int n = 0;
        for (Target t : layers) if (!t.isCpu()) n++;
        return n;
    }
}
