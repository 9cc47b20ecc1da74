package kiln.cuda.cli;

import kiln.cuda.device.CudaDevice;
import kiln.cuda.device.CudaDevices;
import kiln.cuda.place.OverrideRule;
import kiln.tensor.KilnException;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class GpuOptionsTest {
    @Command(name = "t")
    static final class Holder {
        @Mixin GpuOptions gpu = new GpuOptions();
    }

    private static GpuOptions parse(String... args) {
        Holder h = new Holder();
        CommandLine cl = new CommandLine(h);
        cl.setPosixClusteredShortOptionsAllowed(false);
        cl.parseArgs(args);
        h.gpu.devices = () -> fail("the driver must not be asked unless a GPU is asked for");
        return h.gpu;
    }

    @Test
    void cpuOnlyOptionsNeverAskTheDriver() {
        parse().check();
        parse("-ngl", "0").check();
        parse("-ot", "exps=CPU", "--n-cpu-moe", "3", "-cmoe").check();
        assertEquals(List.of("-ngl 0", "-ot …=CPU", "--n-cpu-moe", "--cpu-moe"), parse("-ngl", "0", "-ot", "x=CPU", "-ncmoe", "1", "--cpu-moe").ignoredGiven());
    }

    @Test
    void withoutADeviceAGpuRequestIsTheOneLine() {
        for (String[] args : new String[][] {{"-ngl", "99"}, {"-ngl", "0,99"}, {"-ot", "attn=CUDA0"}}) {
            GpuOptions g = parse(args);
            g.devices = () -> CudaDevices.none("cuInit: CUDA_ERROR_NO_DEVICE");
            KilnException e = assertThrows(KilnException.class, g::check);
            String flag = args[0].equals("-ngl") ? "-ngl" : "-ot …=CUDA";
            assertEquals("no CUDA device found (cuInit: CUDA_ERROR_NO_DEVICE); run without " + flag, e.getMessage());
        }
    }

    @Test
    void withADeviceKilnSaysItCannotRunThereYet() {
        GpuOptions g = parse("-ngl", "99", "-ot", "exps=CUDA1");
        g.devices = () -> new CudaDevices(List.of(new CudaDevice(0, "NVIDIA H100", 9, 0, 80L << 30, 79L << 30, 2_619_000, 5120)), null);
        assertEquals("-ot exps=CUDA1: there is no CUDA1; this machine has CUDA0", assertThrows(KilnException.class, g::check).getMessage());
        g = parse("-ngl", "99");
        g.devices = () -> new CudaDevices(List.of(new CudaDevice(0, "NVIDIA H100", 9, 0, 80L << 30, 79L << 30, 2_619_000, 5120)), null);
        assertTrue(assertThrows(KilnException.class, g::check).getMessage().startsWith("found CUDA0 (NVIDIA H100), but Kiln's model graphs do not run on a GPU yet"));
    }

    @Test
    void badValuesAreRefusedBeforeTheDriverIsAsked() {
        assertEquals("-ngl 'all' is not a layer count (a whole number ≥ 0, e.g. -ngl 999)", assertThrows(KilnException.class, () -> parse("-ngl", "all").check()).getMessage());
        assertThrows(KilnException.class, () -> parse("-ngl", "-1").check());
        assertThrows(KilnException.class, () -> parse("-ot", "exps").check());
        assertThrows(KilnException.class, () -> parse("--n-cpu-moe", "-2").check());
        assertTrue(assertThrows(KilnException.class, () -> parse("-ngl", "1,2").gpuLayers()).getMessage().contains("lists are for kiln bench"));
        assertTrue(assertThrows(KilnException.class, () -> parse("-ot", "a=CPU;b=CPU").overrides()).getMessage().contains("';' separates configurations in kiln bench only"));
    }

    @Test
    void rulesComeInCommandLineOrderThenTheMoeRules() {
        GpuOptions g = parse("-ot", "a=CPU,b=CUDA0", "--override-tensor", "c=CPU", "--n-cpu-moe", "2", "--cpu-moe");
        assertEquals("a=CPU,b=CUDA0,c=CPU,\\.ffn_(up|down|gate)_exps=CPU,blk\\.0\\.ffn_(up|down|gate)_exps=CPU,blk\\.1\\.ffn_(up|down|gate)_exps=CPU",
                GpuOptions.record(g.overrides()));
    }

    @Test
    void benchListsAreConfigurations() {
        GpuOptions g = parse("-ngl", "0,10,99", "-ot", "exps=CPU;attn=CPU,exps=CPU", "-ncmoe", "1");
        assertEquals(List.of(0, 10, 99), g.gpuLayersList());
        List<List<OverrideRule>> confs = g.overrideConfigurations();
        assertEquals(2, confs.size());
        assertEquals("exps=CPU,blk\\.0\\.ffn_(up|down|gate)_exps=CPU", GpuOptions.record(confs.get(0)));
        assertEquals("attn=CPU,exps=CPU,blk\\.0\\.ffn_(up|down|gate)_exps=CPU", GpuOptions.record(confs.get(1)));
        assertEquals(List.of(List.of()), parse().overrideConfigurations());
    }
}
