package kiln.convert.pytorch;


/** The only values the state-dict pickle interpreter ever builds: data, never behaviour. */
final class PickleValues {
    private PickleValues() {}

    /** The MARK sentinel on the stack. */
    static final Object MARK = new Object() {
        @Override public String toString() { return "MARK"; }
    };

    /** An immutable pickle tuple. */
    record Tuple(Object[] items) {
        int size() { return items.length; }
        Object get(int i) { return items[i]; }
        @Override public String toString() { return "a tuple of " + items.length; } // never recurse: pickles can nest deeply
    }

    /** The allowed callables/classes a GLOBAL may name. Nothing else can ever be referenced. */
    enum GlobalKind { ORDERED_DICT, REBUILD_TENSOR_V2, REBUILD_PARAMETER, STORAGE_CLASS }

    /** A reference to an allowed global; {@code dtype} is set for storage classes. */
    record Global(String module, String name, GlobalKind kind, String dtype) {
        String qualified() { return module + "." + name; }
    }

    /** A persistent id resolved to a storage of the checkpoint: {@code data/<key>}, {@code numel} elements of {@code dtype}. */
    record StorageRef(String key, String dtype, long numel) {}

    /** A tensor as {@code _rebuild_tensor_v2} describes it: a strided view (in elements) over a storage. */
    record TensorRecord(StorageRef storage, long offset, long[] shape, long[] stride) {}
}
