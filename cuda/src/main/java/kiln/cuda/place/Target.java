package kiln.cuda.place;

import kiln.tensor.KilnException;

/** Where a tensor or a cache lives: the host ({@code CPU}) or CUDA device n ({@code CUDA0}, {@code CUDA1}, …), as llama.cpp names buffer types. */
public record Target(int cuda) implements Comparable<Target> {
    public static final Target CPU = new Target(-1);

    public static Target cuda(int ordinal) {
        if (ordinal < 0) throw new IllegalArgumentException("CUDA ordinal " + ordinal);
        return new Target(ordinal);
    }

    public boolean isCpu() {
        return cuda < 0;
    }

    public String name() {
        return isCpu() ? "CPU" : "CUDA" + cuda;
    }

    /** Reads a buffer-type name as llama.cpp spells it: {@code CPU}, {@code CUDA0}, {@code CUDA1}, … (exact case). */
    public static Target parse(String s, String what) {
        if (s.equals("CPU")) return CPU;
        if (s.matches("CUDA[0-9]{1,2}")) return cuda(Integer.parseInt(s.substring(4)));
        throw new KilnException(what + ": '" + s + "' is not a buffer type; use CPU, CUDA0, CUDA1, … (spelled as llama.cpp does)");
    }

    @Override
    public int compareTo(Target o) {
        return Integer.compare(cuda, o.cuda);
    }

    @Override
    public String toString() {
        return name();
    }
}
