package org.voxellens.volumetric.render;

/**
 * The three orthogonal views in radiological display convention: the viewer faces the patient (axial seen
 * from the feet), so the patient's right is on the image's left. Each plane names which LPS axis runs to the
 * screen's right and which runs down the screen, with a sign; edge letters follow from those.
 */
public enum Plane {
    /** Patient's right on the left, anterior at the top. */
    AXIAL("Axial", 2, 0, +1, 1, +1),
    /** Patient's right on the left, superior at the top. */
    CORONAL("Coronal", 1, 0, +1, 2, -1),
    /** Anterior on the left, superior at the top. */
    SAGITTAL("Sagittal", 0, 1, +1, 2, -1);

    private static final String[] NEGATIVE = {"R", "A", "I"};
    private static final String[] POSITIVE = {"L", "P", "S"};

    private final String label;
    private final int normalAxis;
    private final int rightAxis;
    private final int rightSign;
    private final int downAxis;
    private final int downSign;

    Plane(String label, int normalAxis, int rightAxis, int rightSign, int downAxis, int downSign) {
        this.label = label;
        this.normalAxis = normalAxis;
        this.rightAxis = rightAxis;
        this.rightSign = rightSign;
        this.downAxis = downAxis;
        this.downSign = downSign;
    }

    public String label() { return label; }

    /** LPS axis (0 = x toward L, 1 = y toward P, 2 = z toward S) perpendicular to the plane. */
    public int normalAxis() { return normalAxis; }

    /** LPS axis running across the screen; {@link #rightSign()} says which way is screen-right. */
    public int rightAxis() { return rightAxis; }
    public int rightSign() { return rightSign; }

    /** LPS axis running down the screen; {@link #downSign()} says which way is screen-down. */
    public int downAxis() { return downAxis; }
    public int downSign() { return downSign; }

    public String leftLetter() { return letter(rightAxis, -rightSign); }
    public String rightLetter() { return letter(rightAxis, rightSign); }
    public String topLetter() { return letter(downAxis, -downSign); }
    public String bottomLetter() { return letter(downAxis, downSign); }

    private static String letter(int axis, int sign) {
        return sign > 0 ? POSITIVE[axis] : NEGATIVE[axis];
    }
}
