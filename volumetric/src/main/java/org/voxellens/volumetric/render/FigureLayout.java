package org.voxellens.volumetric.render;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Locale;
import java.util.Map;

/** Puts panels, their names and orientation letters, a title and a labelled colour bar on a black figure. */
final class FigureLayout {

    private static final int MARGIN = 16;
    private static final int GAP = 14;
    private static final int LETTER_BAND = 16;
    private static final int NAME_HEIGHT = 18;
    private static final int BAR_WIDTH = 14;
    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 15);
    private static final Font SMALL = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.BOLD, 12);
    private static final Color TEXT = new Color(235, 235, 235);
    private static final Color DIM_TEXT = new Color(160, 160, 160);
    private static final Color LETTERS = new Color(255, 214, 90);

    private FigureLayout() {}

    static BufferedImage compose(String title, String subtitle, Map<Plane, BufferedImage> panels, Colorizer colorizer) {
        int panelHeight = 0, cellsWidth = 0;
        for (BufferedImage p : panels.values()) {
            panelHeight = Math.max(panelHeight, p.getHeight());
            cellsWidth += p.getWidth() + 2 * LETTER_BAND + GAP;
        }
        String[] ticks = tickLabels(colorizer);
        String caption = colorizer.signed() ? "map" : "|map|";
        Graphics2D probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
        int labelWidth = probe.getFontMetrics(LABEL).stringWidth(caption);
        for (String t : ticks) labelWidth = Math.max(labelWidth, probe.getFontMetrics(SMALL).stringWidth(t));
        int titleWidth = Math.max(probe.getFontMetrics(TITLE).stringWidth(title),
            probe.getFontMetrics(SMALL).stringWidth(subtitle));
        probe.dispose();

        int headerHeight = (title.isBlank() ? 0 : 22) + 18 + 6;
        int barX = MARGIN + cellsWidth + 4;
        int width = Math.max(barX + BAR_WIDTH + 6 + labelWidth + MARGIN, 2 * MARGIN + titleWidth);
        int rowTop = MARGIN + headerHeight;
        int panelTop = rowTop + NAME_HEIGHT + LETTER_BAND;
        int height = panelTop + panelHeight + LETTER_BAND + MARGIN;

        BufferedImage fig = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = fig.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.BLACK);
        g.fillRect(0, 0, width, height);

        int y = MARGIN;
        if (!title.isBlank()) {
            y += 16;
            text(g, title, TITLE, TEXT, MARGIN, y);
            y += 6;
        }
        text(g, subtitle, SMALL, DIM_TEXT, MARGIN, y + 13);

        int x = MARGIN;
        for (Map.Entry<Plane, BufferedImage> e : panels.entrySet()) {
            Plane plane = e.getKey();
            BufferedImage p = e.getValue();
            int px = x + LETTER_BAND, py = panelTop + (panelHeight - p.getHeight()) / 2;
            text(g, plane.label(), LABEL, TEXT, px, rowTop + 13);
            g.drawImage(p, px, py, null);
            centred(g, plane.topLetter(), px + p.getWidth() / 2, py - 4);
            centred(g, plane.bottomLetter(), px + p.getWidth() / 2, py + p.getHeight() + 13);
            centred(g, plane.leftLetter(), px - LETTER_BAND / 2, py + p.getHeight() / 2 + 5);
            centred(g, plane.rightLetter(), px + p.getWidth() + LETTER_BAND / 2, py + p.getHeight() / 2 + 5);
            x += p.getWidth() + 2 * LETTER_BAND + GAP;
        }
        drawBar(g, colorizer, ticks, caption, barX, rowTop, panelTop, panelHeight);
        g.dispose();
        return fig;
    }

    /** Bar from the bottom to the top value, with the threshold marked where painting starts. */
    private static void drawBar(Graphics2D g, Colorizer c, String[] ticks, String caption, int x, int rowTop, int top,
                                int height) {
        text(g, caption, LABEL, TEXT, x, rowTop + 13);
        for (int r = 0; r < height; r++) {
            g.setColor(new Color(c.barRgb(1 - (r + 0.5) / height)));
            g.drawLine(x, top + r, x + BAR_WIDTH - 1, top + r);
        }
        g.setColor(DIM_TEXT);
        g.drawRect(x - 1, top - 1, BAR_WIDTH + 1, height + 1);
        int lx = x + BAR_WIDTH + 6;
        text(g, ticks[0], SMALL, TEXT, lx, top + 9);
        text(g, ticks[1], SMALL, TEXT, lx, top + height);
        double t = c.threshold();
        double[] marks = c.signed() ? new double[] {(1 + t) / 2, (1 - t) / 2} : new double[] {t};
        for (int m = 0; m < marks.length && t > 0; m++) {
            int my = top + (int) Math.round((1 - marks[m]) * height);
            g.setColor(TEXT);
            g.drawLine(x - 3, my, x + BAR_WIDTH + 2, my);
            if (my > top + 20 && my < top + height - 14) text(g, ticks[2 + m], SMALL, DIM_TEXT, lx, my + 4);
        }
    }

    /** Top, bottom, then threshold labels (one, or two for signed maps). */
    private static String[] tickLabels(Colorizer c) {
        double max = c.mapMax(), t = c.threshold() * max;
        return c.signed()
            ? new String[] {format(max), format(-max), format(t), format(-t)}
            : new String[] {format(max), "0", format(t)};
    }

    /** Three significant digits, plain notation in the readable range, scientific outside it. */
    static String format(double v) {
        if (v == 0) return "0";
        double a = Math.abs(v);
        if (a >= 1e-3 && a < 1e5) {
            return new BigDecimal(v).round(new MathContext(3)).stripTrailingZeros().toPlainString();
        }
        return String.format(Locale.ROOT, "%.2e", v);
    }

    private static void centred(Graphics2D g, String s, int cx, int baseline) {
        FontMetrics fm = g.getFontMetrics(LABEL);
        text(g, s, LABEL, LETTERS, cx - fm.stringWidth(s) / 2, baseline);
    }

    private static void text(Graphics2D g, String s, Font font, Color color, int x, int baseline) {
        g.setFont(font);
        g.setColor(color);
        g.drawString(s, x, baseline);
    }
}
