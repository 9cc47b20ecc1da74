package kiln.convert.pytorch;

import kiln.convert.pytorch.PickleValues.Global;
import kiln.convert.pytorch.PickleValues.GlobalKind;
import kiln.convert.pytorch.PickleValues.StorageRef;
import kiln.convert.pytorch.PickleValues.TensorRecord;
import kiln.convert.pytorch.PickleValues.Tuple;
import kiln.tensor.KilnException;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pickle interpreter that understands exactly what a PyTorch state dict needs and nothing more. It never
 * imports, calls or instantiates anything: {@code GLOBAL} may only name {@code collections.OrderedDict},
 * {@code torch._utils._rebuild_tensor_v2}, {@code torch._utils._rebuild_parameter} or a {@code torch.*Storage}
 * class; {@code REDUCE} on those builds plain data records; {@code BUILD} is accepted only on an OrderedDict
 * (torch's {@code _metadata}, ignored). Any other global, opcode or shape is refused with a one-line
 * {@link KilnException} naming the file — before anything could run.
 */
public final class StateDictPickle {
    private static final int MAX_DEPTH = 1 << 20;

    private final String file;
    private final byte[] in;
    private int pos;
    private final ArrayList<Object> stack = new ArrayList<>();
    private final ArrayList<Integer> marks = new ArrayList<>();
    private final Map<Long, Object> memo = new HashMap<>();

    private StateDictPickle(String file, byte[] in) {
        this.file = file;
        this.in = in;
    }

    /** One tensor entry of the state dict, in the pickle's own (insertion) order. */
    public record Entry(String name, TensorRecord tensor) {}

    /**
     * Interprets {@code data.pkl} of a checkpoint and returns its tensors in dict order.
     *
     * @param file what to name in messages (the .bin file)
     */
    public static List<Entry> parse(String file, byte[] pickle) {
        Object root = new StateDictPickle(file, pickle).run();
        if (!(root instanceof Map<?, ?> dict)) {
            throw new KilnException(file + ": data.pkl does not hold a state dict (a dict of tensors) but " + describe(root));
        }
        List<Entry> out = new ArrayList<>(dict.size());
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            if (!(e.getKey() instanceof String name)) {
                throw new KilnException(file + ": state dict key " + describe(e.getKey()) + " is not a string");
            }
            if (!(e.getValue() instanceof TensorRecord t)) {
                throw new KilnException(file + ": state dict entry '" + name + "' is " + describe(e.getValue())
                        + ", expected a tensor (nested or non-tensor checkpoints are not supported)");
            }
            out.add(new Entry(name, t));
        }
        return out;
    }

    private Object run() {
        while (true) {
            if (stack.size() > MAX_DEPTH) throw bad("stack grows past " + MAX_DEPTH + " values");
            int at = pos;
            int op = u8();
            switch (op) {
                case 0x80 -> { // PROTO
                    int v = u8();
                    if (v > 5) throw bad("unknown pickle protocol " + v);
                }
                case 0x95 -> skip(8); // FRAME (protocol 4): framing only
                case '.' -> { // STOP
                    if (stack.size() != 1 || !marks.isEmpty()) throw bad("STOP with " + stack.size() + " values on the stack");
                    return stack.getFirst();
                }
                case '(' -> marks.add(stack.size());
                case '}' -> push(new LinkedHashMap<>());
                case ']' -> push(new ArrayList<>());
                case ')' -> push(new Tuple(new Object[0]));
                case 't' -> push(new Tuple(popMark().toArray()));
                case 0x85 -> push(new Tuple(new Object[] {pop()}));
                case 0x86 -> { Object b = pop(); Object a = pop(); push(new Tuple(new Object[] {a, b})); }
                case 0x87 -> { Object c = pop(); Object b = pop(); Object a = pop(); push(new Tuple(new Object[] {a, b, c})); }
                case 'q' -> memo.put((long) u8(), peek());
                case 'r' -> memo.put(u32(), peek());
                case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
                case 'h' -> push(memoGet(u8()));
                case 'j' -> push(memoGet(u32()));
                case 'X' -> push(utf8(u32()));
                case 0x8c -> push(utf8(u8()));
                case 0x8d -> push(utf8(i64()));
                case 'J' -> push((long) i32());
                case 'K' -> push((long) u8());
                case 'M' -> push((long) (u8() | (u8() << 8)));
                case 0x8a -> push(long1());
                case 'G' -> push(Double.longBitsToDouble(bigEndian64()));
                case 0x88 -> push(Boolean.TRUE);
                case 0x89 -> push(Boolean.FALSE);
                case 'N' -> push(null);
                case 'c' -> push(allowGlobal(line(), line()));
                case 0x93 -> { // STACK_GLOBAL
                    Object name = pop();
                    Object module = pop();
                    if (!(module instanceof String m) || !(name instanceof String n)) throw bad("STACK_GLOBAL on non-strings");
                    push(allowGlobal(m, n));
                }
                case 'R' -> reduce();
                case 'Q' -> push(persistentLoad(pop()));
                case 's' -> { Object v = pop(); Object k = pop(); dictAt(stack.size() - 1).put(key(k), v); }
                case 'u' -> {
                    List<Object> items = popMark();
                    if (items.size() % 2 != 0) throw bad("SETITEMS with an odd number of values");
                    Map<Object, Object> d = dictAt(stack.size() - 1);
                    for (int i = 0; i < items.size(); i += 2) d.put(key(items.get(i)), items.get(i + 1));
                }
                case 'a' -> { Object v = pop(); listAt(stack.size() - 1).add(v); }
                case 'e' -> { List<Object> items = popMark(); listAt(stack.size() - 1).addAll(items); }
                case 'b' -> build();
                default -> throw bad(String.format("unsupported pickle opcode 0x%02x at byte %d (only what a state dict needs is understood)", op, at));
            }
        }
    }

    // --- the only three places where a pickle could ask for behaviour; each builds data or refuses ---

    private Global allowGlobal(String module, String name) {
        GlobalKind kind = null;
        String dtype = null;
        if (module.equals("collections") && name.equals("OrderedDict")) kind = GlobalKind.ORDERED_DICT;
        else if (module.equals("torch._utils") && name.equals("_rebuild_tensor_v2")) kind = GlobalKind.REBUILD_TENSOR_V2;
        else if (module.equals("torch._utils") && name.equals("_rebuild_parameter")) kind = GlobalKind.REBUILD_PARAMETER;
        else if (module.equals("torch") && (dtype = TorchDtypes.dtypeOfStorage(name)) != null) kind = GlobalKind.STORAGE_CLASS;
        if (kind == null) {
            throw new KilnException(file + ": refusing pickle global " + oneLine(module) + "." + oneLine(name)
                    + " (a state dict may only use collections.OrderedDict, torch._utils._rebuild_tensor_v2 and torch.*Storage); nothing was executed");
        }
        return new Global(module, name, kind, dtype);
    }

    private void reduce() {
        Object args = pop();
        Object callable = pop();
        if (!(callable instanceof Global g)) throw bad("REDUCE on " + describe(callable) + " refused; nothing was executed");
        if (!(args instanceof Tuple a)) throw bad("REDUCE of " + g.qualified() + " without an argument tuple");
        switch (g.kind()) {
            case ORDERED_DICT -> {
                if (a.size() != 0) throw bad("collections.OrderedDict called with arguments; only OrderedDict() is understood");
                push(new LinkedHashMap<>());
            }
            case REBUILD_TENSOR_V2 -> push(rebuildTensor(a));
            case REBUILD_PARAMETER -> {
                if (a.size() < 1 || !(a.get(0) instanceof TensorRecord t)) throw bad("torch._utils._rebuild_parameter without a tensor");
                push(t);
            }
            case STORAGE_CLASS -> throw bad("REDUCE on torch." + g.name() + " refused; storages come only as persistent ids; nothing was executed");
        }
    }

    private void build() {
        Object state = pop();
        Object target = peek();
        boolean orderedDict = target instanceof LinkedHashMap<?, ?>;
        if (!orderedDict || !(state == null || state instanceof Map<?, ?> || state instanceof Tuple)) {
            throw bad("BUILD on " + describe(target) + " refused (only an OrderedDict's metadata is accepted); nothing was executed");
        }
        // torch stores the state dict's _metadata (module versions) this way; it carries no weights.
    }

    private StorageRef persistentLoad(Object pid) {
        if (!(pid instanceof Tuple t) || t.size() != 5 || !"storage".equals(t.get(0))) {
            throw bad("persistent id " + describe(pid) + " is not ('storage', torch.<Type>Storage, key, location, numel)");
        }
        if (!(t.get(1) instanceof Global g) || g.kind() != GlobalKind.STORAGE_CLASS) {
            throw bad("persistent id names " + describe(t.get(1)) + " where a torch.*Storage class is expected");
        }
        if (!(t.get(2) instanceof String key) || !(t.get(4) instanceof Long numel) || numel < 0) {
            throw bad("persistent id " + describe(t) + " has no storage key or element count");
        }
        if (key.isEmpty() || key.contains("/") || key.contains("\\") || key.contains("..")) {
            throw bad("storage key '" + oneLine(key) + "' is not a plain name");
        }
        return new StorageRef(key, g.dtype(), numel);
    }

    private TensorRecord rebuildTensor(Tuple a) {
        if (a.size() < 6 || a.size() > 7) throw bad("torch._utils._rebuild_tensor_v2 with " + a.size() + " arguments, expected 6 or 7");
        if (!(a.get(0) instanceof StorageRef storage)) throw bad("_rebuild_tensor_v2 without a storage");
        if (!(a.get(1) instanceof Long offset) || offset < 0) throw bad("_rebuild_tensor_v2 with a bad storage offset");
        long[] shape = longs(a.get(2), "size");
        long[] stride = longs(a.get(3), "stride");
        if (shape.length != stride.length) throw bad("_rebuild_tensor_v2 with " + shape.length + " sizes but " + stride.length + " strides");
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0 || stride[i] < 0) throw bad("_rebuild_tensor_v2 with a negative size or stride");
        }
        Object hooks = a.get(5);
        if (!(hooks == null || hooks instanceof Map<?, ?> m && m.isEmpty())) throw bad("_rebuild_tensor_v2 with backward hooks (not a plain state dict)");
        return new TensorRecord(storage, offset, shape, stride);
    }

    private long[] longs(Object o, String what) {
        if (!(o instanceof Tuple t)) throw bad("_rebuild_tensor_v2 " + what + " is " + describe(o) + ", expected a tuple of ints");
        long[] r = new long[t.size()];
        for (int i = 0; i < r.length; i++) {
            if (!(t.get(i) instanceof Long v)) throw bad("_rebuild_tensor_v2 " + what + " holds " + describe(t.get(i)));
            r[i] = v;
        }
        return r;
    }

    // --- stack, memo and byte helpers ---

    private void push(Object o) { stack.add(o); }

    private Object pop() {
        if (stack.isEmpty() || (!marks.isEmpty() && marks.getLast() == stack.size())) throw bad("stack underflow at byte " + pos);
        return stack.removeLast();
    }

    private Object peek() {
        if (stack.isEmpty()) throw bad("stack underflow at byte " + pos);
        return stack.getLast();
    }

    private List<Object> popMark() {
        if (marks.isEmpty()) throw bad("no MARK on the stack at byte " + pos);
        int m = marks.removeLast();
        List<Object> items = new ArrayList<>(stack.subList(m, stack.size()));
        stack.subList(m, stack.size()).clear();
        return items;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dictAt(int i) {
        if (i < 0 || !(stack.get(i) instanceof Map<?, ?> m)) throw bad("SETITEM(S) on something that is not a dict");
        return (Map<Object, Object>) m;
    }

    @SuppressWarnings("unchecked")
    private List<Object> listAt(int i) {
        if (i < 0 || !(stack.get(i) instanceof ArrayList<?> l)) throw bad("APPEND(S) on something that is not a list");
        return (List<Object>) l;
    }

    /** Dict keys may only be plain values: hashing a container could recurse forever on a self-referencing pickle. */
    private Object key(Object k) {
        if (k == null || k instanceof String || k instanceof Long || k instanceof Boolean || k instanceof Double) return k;
        throw bad("dict key " + describe(k) + " refused (a state dict is keyed by names)");
    }

    private Object memoGet(long key) {
        if (!memo.containsKey(key)) throw bad("memo key " + key + " read before it was written");
        return memo.get(key);
    }

    private void need(long n) {
        if (n < 0 || pos + n > in.length) throw bad("data.pkl ends early (truncated at byte " + in.length + ")");
    }

    private void skip(long n) { need(n); pos += (int) n; }

    private int u8() { need(1); return in[pos++] & 0xFF; }

    private int i32() { need(4); int v = (in[pos] & 0xFF) | (in[pos + 1] & 0xFF) << 8 | (in[pos + 2] & 0xFF) << 16 | in[pos + 3] << 24; pos += 4; return v; }

    private long u32() { return i32() & 0xFFFFFFFFL; }

    private long i64() { long lo = u32(); long hi = u32(); return lo | hi << 32; }

    private long bigEndian64() {
        need(8);
        long v = 0;
        for (int i = 0; i < 8; i++) v = v << 8 | (in[pos++] & 0xFF);
        return v;
    }

    private Long long1() {
        int n = u8();
        if (n > 8) throw bad("LONG1 of " + n + " bytes (integers past 64 bits are not needed by a state dict)");
        need(n);
        long v = 0;
        for (int i = n - 1; i >= 0; i--) v = v << 8 | (in[pos + i] & 0xFF);
        if (n > 0 && n < 8 && (in[pos + n - 1] & 0x80) != 0) v -= 1L << (8 * n);
        pos += n;
        return v;
    }

    private String utf8(long n) {
        need(n);
        String s = new String(in, pos, (int) n, StandardCharsets.UTF_8);
        pos += (int) n;
        return s;
    }

    private String line() {
        int start = pos;
        while (true) {
            need(1);
            if (in[pos++] == '\n') break;
            if (pos - start > 256) throw bad("GLOBAL name longer than 256 bytes");
        }
        return new String(in, start, pos - start - 1, StandardCharsets.UTF_8);
    }

    private KilnException bad(String what) {
        return new KilnException(file + ": data.pkl: " + oneLine(what));
    }

    private static String oneLine(String s) {
        String t = s.replaceAll("[\\r\\n\\t]", " ");
        return t.length() > 120 ? t.substring(0, 120) + "…" : t;
    }

    private static String describe(Object o) {
        if (o == null) return "None";
        if (o instanceof Global g) return g.qualified();
        if (o instanceof String s) return "'" + oneLine(s) + "'";
        if (o instanceof Long || o instanceof Boolean || o instanceof Double) return o.toString();
        if (o instanceof Tuple t) return "a tuple of " + t.size();
        if (o instanceof Map<?, ?>) return "a dict";
        if (o instanceof List<?>) return "a list";
        if (o instanceof StorageRef) return "a storage";
        if (o instanceof TensorRecord) return "a tensor";
        return o == PickleValues.MARK ? "MARK" : o.getClass().getSimpleName();
    }
}
