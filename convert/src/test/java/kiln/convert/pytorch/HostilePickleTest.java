package kiln.convert.pytorch;

import kiln.convert.source.HfSource;
import kiln.tensor.KilnException;
import kiln.tensor.cli.CliSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Pickles that would run code under torch.load are refused by name, with exit code 2, and nothing runs. */
class HostilePickleTest {
    @TempDir
    Path dir;

    /** os.system("touch <marker>") as GLOBAL + REDUCE, the classic malicious checkpoint. */
    private byte[] systemCall(String module, String name, Path marker) {
        return new PickleBytes().proto(2).global(module, name).str("touch " + marker).tuple1().reduce().stop().bytes();
    }

    private KilnException refused(byte[] pickle) throws Exception {
        Path folder = new TorchBinWriter().pickle(pickle).writeFolder(dir.resolve("model"));
        return assertThrows(KilnException.class, () -> PytorchSources.open(folder).close());
    }

    private static void assertOneLine(KilnException e) {
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().contains("pytorch_model.bin"), "names the file: " + e.getMessage());
    }

    @Test
    void osSystemIsRefusedByName() throws Exception {
        Path marker = dir.resolve("pwned");
        KilnException e = refused(systemCall("os", "system", marker));
        assertOneLine(e);
        assertTrue(e.getMessage().contains("os.system"), e.getMessage());
        assertFalse(Files.exists(marker));
    }

    @Test
    void posixSystemAndBuiltinsEvalAreRefused() throws Exception {
        Path marker = dir.resolve("pwned");
        assertTrue(refused(systemCall("posix", "system", marker)).getMessage().contains("posix.system"));
        assertTrue(refused(systemCall("builtins", "eval", marker)).getMessage().contains("builtins.eval"));
        assertFalse(Files.exists(marker));
    }

    @Test
    void stackGlobalIsCheckedAgainstTheSameAllowList() throws Exception {
        byte[] p = new PickleBytes().proto(2).str("builtins").str("exec").stackGlobal().str("import os").tuple1().reduce().stop().bytes();
        KilnException e = refused(p);
        assertOneLine(e);
        assertTrue(e.getMessage().contains("builtins.exec"), e.getMessage());
    }

    @Test
    void aHostileGlobalAfterARealTensorIsStillRefused() throws Exception {
        byte[] p = new PickleBytes().proto(2).emptyDict().mark()
                .str("w").tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1})
                .str("x").global("subprocess", "Popen").str("id").tuple1().reduce()
                .setitems().stop().bytes();
        KilnException e = refused(p);
        assertTrue(e.getMessage().contains("subprocess.Popen"), e.getMessage());
    }

    @Test
    void reduceOnAStorageClassAndBuildOnATensorAreRefused() throws Exception {
        byte[] reduceStorage = new PickleBytes().proto(2).global("torch", "FloatStorage").str("x").tuple1().reduce().stop().bytes();
        assertTrue(refused(reduceStorage).getMessage().contains("REDUCE on torch.FloatStorage"));
        byte[] buildTensor = new PickleBytes().proto(2).tensor("FloatStorage", "0", 2, 0, new long[] {2}, new long[] {1})
                .emptyDict().build().stop().bytes();
        assertTrue(refused(buildTensor).getMessage().contains("BUILD on a tensor"));
    }

    @Test
    void opcodesThatInstantiateClassesAreRefused() throws Exception {
        // INST 'os\nsystem\n' would import and call in protocol 0
        byte[] inst = new PickleBytes().proto(2).mark().str("id").op('i').bytes();
        assertTrue(refused(inst).getMessage().contains("unsupported pickle opcode 0x69"));
        byte[] newobj = new PickleBytes().proto(2).emptyTuple().emptyTuple().op(0x81).stop().bytes();
        assertTrue(refused(newobj).getMessage().contains("unsupported pickle opcode 0x81"));
    }

    @Test
    void theCommandLineExitsWithTwoAndOneLine() throws Exception {
        Path marker = dir.resolve("pwned");
        Path folder = new TorchBinWriter().pickle(systemCall("os", "system", marker)).writeFolder(dir.resolve("m"));
        StringWriter err = new StringWriter();
        CommandLine cl = CliSupport.configure(new CommandLine(new Open()));
        cl.setErr(new PrintWriter(err));
        int code = cl.execute(folder.toString());
        assertEquals(2, code);
        String text = err.toString().strip();
        assertFalse(text.contains("\n"), text);
        assertTrue(text.contains("os.system") && text.contains("nothing was executed"), text);
        assertFalse(Files.exists(marker));
    }

    /** The smallest command that reads a checkpoint, to see the user-facing error conventions. */
    @CommandLine.Command(name = "open-bin")
    static final class Open implements Callable<Integer> {
        @CommandLine.Parameters(index = "0") Path folder;

        @Override
        public Integer call() {
            try (HfSource s = PytorchSources.open(folder)) {
                return s.tensors().isEmpty() ? 1 : 0;
            }
        }
    }
}
