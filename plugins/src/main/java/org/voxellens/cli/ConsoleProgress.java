package org.voxellens.cli;

import java.io.PrintWriter;
import java.util.concurrent.atomic.AtomicBoolean;
import org.voxellens.xai.attribution.Progress;

/**
 * A progress line on stderr: rewritten in place on a terminal, one line per stage otherwise (logs stay readable).
 * Ctrl-C sets the cancel flag, which the methods check between batches.
 */
final class ConsoleProgress implements Progress {

    private final PrintWriter err;
    private final boolean terminal;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private String lastStage;
    private boolean lineOpen;

    ConsoleProgress(PrintWriter err, boolean terminal) {
        this.err = err;
        this.terminal = terminal;
    }

    void cancel() { cancelled.set(true); }

    @Override
    public boolean isCancelled() { return cancelled.get(); }

    @Override
    public synchronized void update(String stage, int done, int total) {
        if (terminal) {
            int width = 24;
            int filled = total == 0 ? width : (int) ((long) width * done / total);
            err.print("\r  " + pad(stage) + " [" + "#".repeat(filled) + " ".repeat(width - filled) + "] " + done + "/" + total);
            lineOpen = true;
            if (done == total) {
                err.println();
                lineOpen = false;
            }
        } else if (!stage.equals(lastStage) || done == total) {
            if (done == total) err.println("  " + pad(stage) + " " + done + "/" + total + " done");
            else err.println("  " + pad(stage) + " 0/" + total + " ...");
        }
        lastStage = stage;
        err.flush();
    }

    synchronized void endLine() {
        if (lineOpen) err.println();
        lineOpen = false;
    }

    private static String pad(String s) {
        return s.length() >= 14 ? s : s + " ".repeat(14 - s.length());
    }
}
