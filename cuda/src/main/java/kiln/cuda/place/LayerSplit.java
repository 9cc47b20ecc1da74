package kiln.cuda.place;

/**
 * llama.cpp's assignment of layers to devices for {@code -ngl N}: the last N layers go to the GPUs (the output head
 * counts as layer n_layer, so N > n_layer puts it there too), split between devices in proportion to their free
 * memory (llama_model::load_tensors: i_gpu_start = max(n_layer − N, 0), upper_bound over the cumulative split
 * fractions). The token embeddings always stay on the CPU.
 */
public final class LayerSplit {
    private LayerSplit() {}

    /** Targets of layers 0 … nLayer (index nLayer is the output head) for the devices' free bytes. */
    public static Target[] assign(int nLayer, int nGpuLayers, long[] deviceBytes) {
        Target[] out = new Target[nLayer + 1];
        int n = deviceBytes.length;
        int gpuStart = Math.max(nLayer - nGpuLayers, 0);
        int active = n == 0 ? 0 : Math.min(nGpuLayers, nLayer + 1);
        double[] splits = new double[n];
        double total = 0;
        for (int i = 0; i < n; i++) {
            total += deviceBytes[i];
            splits[i] = total;
        }
        for (int i = 0; i < n; i++) splits[i] /= total;
        for (int il = 0; il <= nLayer; il++) {
            if (il < gpuStart || il - gpuStart >= active) {
                out[il] = Target.CPU;
                continue;
            }
            double f = (il - gpuStart) / (double) active;
            int d = 0;
            while (d < n - 1 && splits[d] <= f) d++; // std::upper_bound: first split > f
            out[il] = Target.cuda(d);
        }
        return out;
    }
}
