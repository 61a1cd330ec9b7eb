package org.voxellens.fiji;

import ij.IJ;
import org.voxellens.xai.attribution.Progress;

/** Drives ImageJ's progress bar and status line; Esc cancels (within one batch of the running method). */
final class IJProgress implements Progress {

    private final String prefix;

    IJProgress(String prefix) {
        this.prefix = prefix;
        IJ.resetEscape();
    }

    @Override
    public void update(String stage, int done, int total) {
        IJ.showStatus(prefix + stage + " " + done + "/" + total + " (Esc cancels)");
        IJ.showProgress(done, Math.max(total, 1));
    }

    @Override
    public boolean isCancelled() {
        return IJ.escapePressed();
    }
}
