package kiln.convert.pytorch;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** Writes pickle opcodes by hand, for tests that need exact (and hostile) pickles. */
public final class PickleBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public PickleBytes proto(int v) { return op(0x80).op(v); }
    public PickleBytes mark() { return op('('); }
    public PickleBytes emptyDict() { return op('}'); }
    public PickleBytes emptyTuple() { return op(')'); }
    public PickleBytes tuple() { return op('t'); }
    public PickleBytes tuple1() { return op(0x85); }
    public PickleBytes tuple2() { return op(0x86); }
    public PickleBytes reduce() { return op('R'); }
    public PickleBytes build() { return op('b'); }
    public PickleBytes setitems() { return op('u'); }
    public PickleBytes setitem() { return op('s'); }
    public PickleBytes persid() { return op('Q'); }
    public PickleBytes newFalse() { return op(0x89); }
    public PickleBytes stop() { return op('.'); }
    public PickleBytes stackGlobal() { return op(0x93); }

    public PickleBytes global(String module, String name) {
        op('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
        return this;
    }

    public PickleBytes str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        op('X');
        int n = b.length;
        out.write(n); out.write(n >> 8); out.write(n >> 16); out.write(n >> 24);
        out.writeBytes(b);
        return this;
    }

    public PickleBytes integer(long v) {
        op('J');
        int n = (int) v;
        out.write(n); out.write(n >> 8); out.write(n >> 16); out.write(n >> 24);
        return this;
    }

    public PickleBytes ints(long... v) {
        mark();
        for (long x : v) integer(x);
        return tuple();
    }

    public PickleBytes op(int b) {
        out.write(b);
        return this;
    }

    /**
     * A torch tensor, as torch.save writes it: _rebuild_tensor_v2((storage pid), offset, size, stride, False, OrderedDict()).
     */
    public PickleBytes tensor(String storageClass, String key, long numel, long offset, long[] shape, long[] stride) {
        global("torch._utils", "_rebuild_tensor_v2");
        mark();
        mark().str("storage").global("torch", storageClass).str(key).str("cpu").integer(numel).tuple().persid();
        integer(offset);
        ints(shape);
        ints(stride);
        newFalse();
        global("collections", "OrderedDict").emptyTuple().reduce();
        tuple();
        return reduce();
    }

    public byte[] bytes() {
        return out.toByteArray();
    }
}
