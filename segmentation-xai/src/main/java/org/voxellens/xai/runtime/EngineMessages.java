package org.voxellens.xai.runtime;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The line of a libtorch error a user needs. A TorchScript failure's message starts with "The following operation
 * failed in the TorchScript interpreter." and a traceback of serialized code, and ends with the cause
 * ("RuntimeError: Sizes of tensors must match ... Expected size 15 but got size 16 ..."): the first line alone says
 * nothing, so the cause is taken from the last {@code ...Error:} line, with the place in the model's code it came from
 * when the traceback names one.
 */
public final class EngineMessages {

    private static final Pattern CAUSE = Pattern.compile("^\\s*(?:[A-Za-z_][\\w.]*(?:Error|Exception)):\\s*(.+)$");
    private static final Pattern FRAME = Pattern.compile("^\\s*File \"([^\"]+)\", line (\\d+)(?:, in (\\S+))?");
    private static final int MAX = 400;

    private EngineMessages() {}

    /** One line: the cause of an engine error (with the model code's frame), or the message's first line. */
    public static String cause(Throwable e) {
        String msg = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return cause(msg);
    }

    static String cause(String msg) {
        String[] lines = msg.strip().split("\\R");
        String cause = null;
        String frame = null;
        for (String line : lines) {
            Matcher c = CAUSE.matcher(line);
            if (c.matches()) cause = c.group(1).strip();
            Matcher f = FRAME.matcher(line);
            if (f.find() && cause == null) frame = f.group(1) + ":" + f.group(2) + (f.group(3) == null ? "" : " (" + f.group(3) + ")");
        }
        String out;
        if (cause == null) {
            out = lines[0].strip();
        } else {
            // c10 errors may append "Exception raised from ... (most recent call first):" on the same line
            int raised = cause.indexOf("Exception raised from ");
            if (raised > 0) cause = cause.substring(0, raised).strip();
            out = cause + (frame == null ? "" : " [in the model's TorchScript " + frame + "]");
        }
        return out.length() > MAX ? out.substring(0, MAX) + "…" : out;
    }
}
