package org.voxellens.fiji;

import ij.ImagePlus;
import ij.WindowManager;
import ij.gui.ImageCanvas;
import java.awt.Point;
import java.awt.Rectangle;

/** Called from the GUI test's macro: where the current image's canvas is on the screen, and what it shows. */
public final class ScreenProbe {

    private ScreenProbe() {}

    /** "title|screenX screenY magnification srcX srcY srcW srcH slice channels" */
    public static String canvas() {
        ImagePlus imp = WindowManager.getCurrentImage();
        ImageCanvas c = imp.getCanvas();
        Point p = c.getLocationOnScreen();
        Rectangle r = c.getSrcRect();
        return imp.getTitle() + "|" + p.x + " " + p.y + " " + c.getMagnification() + " " + r.x + " " + r.y + " " + r.width + " "
            + r.height + " " + imp.getZ() + " " + imp.getNChannels();
    }
}
