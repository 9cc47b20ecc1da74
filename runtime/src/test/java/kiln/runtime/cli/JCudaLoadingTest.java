package kiln.runtime.cli;

import kiln.tensor.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.PrintStream;
import java.io.OutputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The CPU path never loads JCuda: `kiln run` without -ngl runs in a class loader of its own, which is then asked
 * whether it loaded JCuda's driver class. The same run with -ngl 99 must have loaded it (so the check can see it).
 */
class JCudaLoadingTest {
    static final class Spy extends URLClassLoader {
        Spy() {
            super(classPath(), ClassLoader.getPlatformClassLoader());
        }

        boolean loaded(String name) {
            return findLoadedClass(name) != null;
        }

        private static URL[] classPath() {
            return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator)).map(p -> {
                try {
                    return Path.of(p).toUri().toURL();
                } catch (MalformedURLException e) {
                    throw new IllegalStateException(e);
                }
            }).toArray(URL[]::new);
        }
    }

    private static int runIn(Spy spy, String... args) throws Exception {
        Object cmd = spy.loadClass("kiln.runtime.cli.RunCommand").getDeclaredConstructor().newInstance();
        Class<?> cli = spy.loadClass("kiln.tensor.cli.CliSupport");
        PrintStream out = System.out, err = System.err;
        PrintStream sink = new PrintStream(OutputStream.nullOutputStream());
        System.setOut(sink);
        System.setErr(sink);
        try {
            return (int) cli.getMethod("run", Object.class, String[].class).invoke(null, cmd, args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void runWithoutNglNeverLoadsJCuda() throws Exception {
        String m = Fixtures.file("tiny-llama/mainline/tiny-llama-bf16.gguf").toString();
        try (Spy spy = new Spy()) {
            assertEquals(0, runIn(spy, "-m", m, "-p", "hi", "-n", "1", "-t", "1", "-c", "16", "-ngl", "0", "-ot", "exps=CPU"));
            assertTrue(spy.loaded("kiln.runtime.cli.RunCommand"), "the spy sees what it loads");
            assertFalse(spy.loaded("jcuda.driver.JCudaDriver"), "the CPU path loaded JCuda");
        }
        try (Spy spy = new Spy()) {
            runIn(spy, "-m", m, "-p", "hi", "-n", "1", "-t", "1", "-c", "16", "-ngl", "99");
            assertTrue(spy.loaded("jcuda.driver.JCudaDriver"), "-ngl 99 asks the driver");
        }
    }
}
