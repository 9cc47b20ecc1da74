package kiln.bench.plot;

import kiln.tensor.KilnException;
import kiln.tensor.io.PendingOutput;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.CombinedDomainXYPlot;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

import java.awt.Color;
import java.awt.Rectangle;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.LinkOption;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Prompt and generation speed against context depth, one line per run, as PNG or SVG (headless JFreeChart). */
public final class SpeedChart {
    private SpeedChart() {}

    public static JFreeChart build(List<SpeedPoint> points, String title) {
        CombinedDomainXYPlot plot = new CombinedDomainXYPlot(new NumberAxis("context depth (tokens in KV cache)"));
        plot.setGap(12);
        List<String> names = points.stream().map(SpeedPoint::series).distinct().toList();
        plot.add(panel(points, false, "prompt t/s", names, true), 1);
        plot.add(panel(points, true, "generation t/s", names, false), 1);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    private static final Color[] PALETTE = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e), new Color(0x9467bd),
        new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f), new Color(0xbcbd22), new Color(0x17becf)};

    private static XYPlot panel(List<SpeedPoint> points, boolean generation, String label, List<String> names, boolean legend) {
        Map<String, XYSeries> series = new LinkedHashMap<>();
        for (String n : names) series.put(n, new XYSeries(n, true, true));
        for (SpeedPoint p : points) {
            if (p.generation() != generation) continue;
            series.get(p.series()).addOrUpdate(p.depth(), p.tokensPerSecond());
        }
        XYSeriesCollection data = new XYSeriesCollection();
        series.values().forEach(data::addSeries);
        NumberAxis y = new NumberAxis(label);
        y.setAutoRangeIncludesZero(true);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
        for (int i = 0; i < names.size(); i++) {
            r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
            r.setSeriesVisibleInLegend(i, legend);
        }
        XYPlot p = new XYPlot(data, null, y, r);
        p.setBackgroundPaint(Color.WHITE);
        p.setDomainGridlinePaint(Color.LIGHT_GRAY);
        p.setRangeGridlinePaint(Color.LIGHT_GRAY);
        return p;
    }

    /** Writes the chart atomically; the format follows the extension (.png or .svg). */
    public static void write(JFreeChart chart, Path out, int width, int height) {
        String name = out.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!name.endsWith(".png") && !name.endsWith(".svg")) throw new KilnException(out + ": output must end in .png or .svg");
        try (PendingOutput tmp = PendingOutput.file(out)) {
            try (OutputStream os = Files.newOutputStream(tmp.path(), StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING,
                    LinkOption.NOFOLLOW_LINKS)) {
                if (name.endsWith(".png")) {
                    ChartUtils.writeChartAsPNG(os, chart, width, height);
                } else {
                    SVGGraphics2D g = new SVGGraphics2D(width, height);
                    chart.draw(g, new Rectangle(0, 0, width, height));
                    os.write(g.getSVGDocument().getBytes(StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                throw new KilnException(out + ": cannot write chart: " + e.getMessage());
            }
            tmp.commit();
        }
    }
}
