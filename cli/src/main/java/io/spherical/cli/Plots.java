package io.spherical.cli;

import io.spherical.api.UserException;
import io.spherical.training.HistoryRow;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;

/** The learning curve: validation top-10 error (left axis) and validation loss (right axis) against epoch. */
final class Plots {
    private Plots() {
    }

    static void learningCurve(List<HistoryRow> history, Path png) {
        if (history.isEmpty()) {
            return;
        }
        double[] x = history.stream().mapToDouble(HistoryRow::epoch).toArray();
        double[] top10 = history.stream().mapToDouble(h -> h.metrics().topKError().get(10)).toArray();
        double[] loss = history.stream().mapToDouble(h -> h.metrics().loss()).toArray();
        XYChart chart = new XYChartBuilder().width(800).height(500).title("Learning curve").xAxisTitle("epoch").build();
        chart.setYAxisGroupTitle(0, "validation top-10 error");
        chart.setYAxisGroupTitle(1, "validation loss");
        chart.getStyler().setYAxisGroupPosition(1, org.knowm.xchart.style.Styler.YAxisPosition.Right);
        XYSeries a = chart.addSeries("top-10 error", x, top10);
        a.setYAxisGroup(0);
        XYSeries b = chart.addSeries("loss", x, loss);
        b.setYAxisGroup(1);
        try {
            Path tmp = Files.createTempFile(png.toAbsolutePath().getParent(), "curve", ".png");
            BitmapEncoder.saveBitmap(chart, tmp.toString(), BitmapEncoder.BitmapFormat.PNG);
            Files.move(tmp, png, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UserException("Cannot write " + png + ": " + e.getMessage() + ". Fix: choose a writable --out.", e);
        }
    }
}
