package org.voxellens.fiji;

import ij.Macro;
import ij.gui.GenericDialog;
import java.awt.GraphicsEnvironment;
import java.awt.HeadlessException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A GenericDialog, or, where no dialog can exist (headless JVM) but macro options were passed, the same fields read
 * from those options exactly as GenericDialog reads them in macro mode (key = first word of the label, lower case;
 * a checkbox is on when its key is present). Plugins add fields in one order and read them back in that order,
 * so the interactive dialog is macro-recordable and the headless path understands the recorded line.
 */
final class DialogValues {

    private final GenericDialog gd;
    private final String options;
    private final List<Object[]> fields = new ArrayList<>(); // {kind, label, default, items}
    private int next;

    private DialogValues(GenericDialog gd, String options) {
        this.gd = gd;
        this.options = options;
    }

    /** A dialog, or the macro options when the JVM is headless; throws when headless without options. */
    static DialogValues create(String title) {
        String o = Macro.getOptions();
        try {
            // Fiji's headless mode (ij1-patcher) swaps in a GenericDialog that reads the macro options: use it
            return new DialogValues(new GenericDialog(title), null);
        } catch (HeadlessException noDialogs) {
            if (o == null) throw new IllegalStateException(title + ": running headless, every option must be passed as macro options");
            return new DialogValues(null, " " + o.trim() + " ");
        }
    }

    /** Headless reading of the given options (for tests and callers that hold an options string). */
    static DialogValues fromOptions(String options) {
        return new DialogValues(null, " " + options.trim() + " ");
    }

    boolean interactive() { return gd != null; }

    /** IJ.error, or a log line where no dialog can be shown (headless). */
    static void error(String title, String message) {
        if (GraphicsEnvironment.isHeadless()) ij.IJ.log(title + ": " + message);
        else ij.IJ.error(title, message);
    }

    void addMessage(String text) {
        if (gd != null) gd.addMessage(text);
    }

    void addString(String label, String def, int columns) {
        if (gd != null) gd.addStringField(label, def, columns);
        fields.add(new Object[] {"s", label, def, null});
    }

    void addFile(String label, String def, boolean directory) {
        if (gd != null) {
            // Fiji's headless GenericDialog has no file fields; a string field records and replays the same key
            if (GraphicsEnvironment.isHeadless()) gd.addStringField(label, def, 40);
            else if (directory) gd.addDirectoryField(label, def, 40);
            else gd.addFileField(label, def, 40);
        }
        fields.add(new Object[] {"s", label, def, null});
    }

    void addNumber(String label, double def, int digits) {
        if (gd != null) gd.addNumericField(label, def, digits);
        fields.add(new Object[] {"n", label, def, null});
    }

    void addCheckbox(String label, boolean def) {
        if (gd != null) gd.addCheckbox(label, def);
        fields.add(new Object[] {"b", label, def, null});
    }

    void addChoice(String label, String[] items, String def) {
        if (gd != null) gd.addChoice(label, items, def);
        fields.add(new Object[] {"c", label, def, items});
    }

    /** Shows the dialog; false when the user cancelled. Always true for macro options. */
    boolean show() {
        if (gd == null) return true;
        gd.showDialog();
        return !gd.wasCanceled();
    }

    String nextString() {
        Object[] f = take("s");
        return gd != null ? gd.getNextString() : Macro.getValue(options, key(f), (String) f[2]);
    }

    double nextNumber() {
        Object[] f = take("n");
        if (gd != null) return gd.getNextNumber();
        String v = Macro.getValue(options, key(f), null);
        if (v == null) return (Double) f[2];
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + v + "' is not a number (" + key(f) + ")");
        }
    }

    boolean nextBoolean() {
        Object[] f = take("b");
        if (gd != null) return gd.getNextBoolean();
        // GenericDialog in macro mode: a checkbox is on if and only if its key appears as a word
        return options.contains(" " + key(f) + " ");
    }

    String nextChoice() {
        Object[] f = take("c");
        if (gd != null) return gd.getNextChoice();
        String v = Macro.getValue(options, key(f), (String) f[2]);
        for (String item : (String[]) f[3]) {
            if (item.equalsIgnoreCase(v.trim())) return item;
        }
        throw new IllegalArgumentException("'" + v + "' is not a valid choice for " + key(f) + "; valid: " + String.join(", ", (String[]) f[3]));
    }

    private Object[] take(String kind) {
        if (next >= fields.size() || !fields.get(next)[0].equals(kind)) {
            throw new IllegalStateException("dialog fields read out of order at " + next);
        }
        return fields.get(next++);
    }

    private static String key(Object[] f) {
        return Macro.trimKey((String) f[1]).toLowerCase(Locale.ROOT);
    }
}
