package kiln.bench.plot;

import kiln.tensor.cli.CliSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlotCommandTest {

    private static Path sweep(Path dir, String name, double pp0, double tg0) throws IOException {
        Path f = dir.resolve(name + ".jsonl");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            sb.append(String.format(java.util.Locale.ROOT,
                    "{\"n_kv_max\": 2048, \"n_batch\": 2048, \"n_ubatch\": 512, \"flash_attn\": 1, \"n_gpu_layers\": 0, \"n_threads\": 2, "
                            + "\"n_threads_batch\": 2, \"pp\": 512, \"tg\": 128, \"n_kv\": %d, \"t_pp\": 1.0, \"speed_pp\": %f, \"t_tg\": 1.0, \"speed_tg\": %f }%n",
                    512 * i, pp0 - 10 * i, tg0 - i));
        }
        Files.writeString(f, sb.toString());
        return f;
    }

    @Test
    void pngHasTheChartAndSvgNamesEverySeries(@TempDir Path dir) throws IOException {
        Path a = sweep(dir, "mla3-fa", 480, 93);
        Path b = sweep(dir, "mla2", 300, 80);
        Path png = dir.resolve("c.png");
        assertEquals(0, CliSupport.run(new PlotCommand(), a.toString(), b.toString(), "-o", png.toString(), "--width", "800", "--height", "600"));
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(800, img.getWidth());
        assertEquals(600, img.getHeight());
        Path svg = dir.resolve("c.svg");
        assertEquals(0, CliSupport.run(new PlotCommand(), a.toString(), b.toString(), "-o", svg.toString()));
        String s = Files.readString(svg);
        assertTrue(s.startsWith("<?xml") && s.contains("<svg"), "not an SVG document");
        assertTrue(s.contains("mla3-fa") && s.contains("mla2"), "legend must name both runs");
        assertTrue(s.contains("context depth"), "x axis label");
    }

    @Test
    void readerTakesSweepAndBenchRowsAndSkipsFailures(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("r.jsonl");
        Files.writeString(f, """
                {"model": "/m/x.gguf", "config": "mla3", "status": "ok", "test": "pp128", "n_prompt": 128, "n_gen": 0, "n_depth": 0, "avg_ts": 400.0}
                {"model": "/m/x.gguf", "config": "mla3", "status": "ok", "test": "tg32", "n_prompt": 0, "n_gen": 32, "n_depth": 0, "avg_ts": 90.0}
                {"model": "/m/x.gguf", "config": "mla2", "status": "FAIL: crashed (signal 11)"}
                """);
        List<SpeedPoint> pts = ResultsReader.read(f);
        assertEquals(List.of(new SpeedPoint("mla3 · x.gguf", false, 0, 400.0), new SpeedPoint("mla3 · x.gguf", true, 0, 90.0)), pts);
    }

    @Test
    void badInputIsExitCode2AndNoFile(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bad.jsonl");
        Files.writeString(f, "{\"foo\": 1}\n");
        Path out = dir.resolve("c.png");
        assertEquals(2, CliSupport.run(new PlotCommand(), f.toString(), "-o", out.toString()));
        assertFalse(Files.exists(out));
        assertEquals(2, CliSupport.run(new PlotCommand(), sweep(dir, "x", 1, 1).toString(), "-o", dir.resolve("c.gif").toString()));
        assertFalse(Files.exists(dir.resolve("c.gif")));
    }
}
