package kiln.bench.synth;

/** One tensor of a synthetic checkpoint: HF name, PyTorch-order shape, and how to fill it. */
record SynthTensor(String name, long[] shape, boolean ones) {
    long elements() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }
}
