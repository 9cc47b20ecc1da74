package kiln.convert.pytorch;

import kiln.tensor.KilnException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The shapes torch.save gives a state dict, beyond the fixture's plain dict. */
class StateDictPickleTest {
    @Test
    void orderedDictWithMetadataAsTorchSaveOfAStateDictWritesIt() {
        // torch.save(model.state_dict()): OrderedDict() via REDUCE, items via SETITEMS, then BUILD({'_metadata': OrderedDict(...)})
        byte[] p = new PickleBytes().proto(2)
                .global("collections", "OrderedDict").emptyTuple().reduce()
                .mark()
                .str("b").tensor("HalfStorage", "1", 3, 0, new long[] {3}, new long[] {1})
                .str("a").tensor("BFloat16Storage", "0", 6, 0, new long[] {2, 3}, new long[] {3, 1})
                .setitems()
                .emptyDict().mark().str("_metadata")
                .global("collections", "OrderedDict").emptyTuple().reduce()
                .mark().str("").emptyDict().mark().str("version").integer(1).setitems().setitems()
                .setitems()
                .build()
                .stop().bytes();
        List<StateDictPickle.Entry> e = StateDictPickle.parse("x.bin", p);
        assertEquals(List.of("b", "a"), e.stream().map(StateDictPickle.Entry::name).toList());
        assertEquals("F16", e.get(0).tensor().storage().dtype());
        assertEquals("BF16", e.get(1).tensor().storage().dtype());
        assertArrayEquals(new long[] {2, 3}, e.get(1).tensor().shape());
    }

    @Test
    void parametersAndSevenArgumentRebuildsAreTensors() {
        PickleBytes b = new PickleBytes().proto(2).emptyDict().mark().str("p")
                .global("torch._utils", "_rebuild_parameter").mark()
                .tensor("FloatStorage", "0", 4, 0, new long[] {4}, new long[] {1})
                .newFalse().global("collections", "OrderedDict").emptyTuple().reduce().tuple().reduce();
        // _rebuild_tensor_v2 with a 7th (metadata) argument
        b.str("q").global("torch._utils", "_rebuild_tensor_v2").mark()
                .mark().str("storage").global("torch", "LongStorage").str("1").str("cpu").integer(2).tuple().persid()
                .integer(0).ints(2).ints(1).newFalse()
                .global("collections", "OrderedDict").emptyTuple().reduce()
                .emptyDict().tuple().reduce();
        byte[] p = b.setitems().stop().bytes();
        List<StateDictPickle.Entry> e = StateDictPickle.parse("x.bin", p);
        assertEquals("F32", e.get(0).tensor().storage().dtype());
        assertEquals("I64", e.get(1).tensor().storage().dtype());
    }

    @Test
    void storageClassesOutsideTheListAndPathLikeKeysAreRefused() {
        byte[] odd = new PickleBytes().proto(2).global("torch", "QInt8Storage").stop().bytes();
        assertTrue(assertThrows(KilnException.class, () -> StateDictPickle.parse("x.bin", odd)).getMessage().contains("torch.QInt8Storage"));
        byte[] escape = new PickleBytes().proto(2).tensor("FloatStorage", "../../etc/passwd", 1, 0, new long[] {1}, new long[] {1}).stop().bytes();
        assertTrue(assertThrows(KilnException.class, () -> StateDictPickle.parse("x.bin", escape)).getMessage().contains("not a plain name"));
    }

    @Test
    void selfReferencesAndExponentialNestingEndInOneLineErrors() {
        // d = {}; d[d] = d  — hashing d would recurse forever
        byte[] selfKey = new PickleBytes().proto(2).emptyDict().op('q').op(0).op('h').op(0).op('h').op(0).setitem().stop().bytes();
        assertTrue(assertThrows(KilnException.class, () -> StateDictPickle.parse("x.bin", selfKey)).getMessage().contains("dict key a dict refused"));
        // t0 = (); t1 = (t0, t0); ... t60: 2^60 leaves if expanded; must be handled by reference
        PickleBytes laughs = new PickleBytes().proto(2).emptyTuple();
        for (int i = 0; i < 60; i++) laughs.op('q').op(0).op('h').op(0).tuple2();
        byte[] p = laughs.stop().bytes();
        KilnException e = assertThrows(KilnException.class, () -> StateDictPickle.parse("x.bin", p));
        assertTrue(e.getMessage().contains("does not hold a state dict"), e.getMessage());
    }
}
