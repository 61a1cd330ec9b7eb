package org.voxellens.io.nifti;

import java.util.Objects;

/**
 * How {@link NiftiWriter} stores a volume. Immutable; start from {@link #defaults()} and change what differs.
 *
 * @param datatype    storage type; integer types round half-to-even and clamp to their range (NaN becomes 0)
 * @param rescale     for integer types: choose scl_slope/scl_inter so that the data's finite range spans the
 *                    type's range, keeping fractional values (e.g. saliency in [0, 1] as int16); ignored for floats
 * @param description the descrip field (at most 79 ASCII characters are kept)
 * @param intentCode  intent_code (0 none, 1002 label map, ...)
 * @param intentName  intent_name (at most 15 ASCII characters are kept)
 * @param sformCode   sform_code, 1..5 (1 scanner-based, 2 aligned, 3 Talairach, 4 MNI152, 5 template)
 * @param qformCode   qform_code, 0..5; the writer stores 0 anyway when the grid is sheared
 */
public record NiftiWriteOptions(NiftiDatatype datatype, boolean rescale, String description, int intentCode,
                                String intentName, int sformCode, int qformCode) {

    public NiftiWriteOptions {
        Objects.requireNonNull(datatype, "datatype");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(intentName, "intentName");
        if (sformCode < 1 || sformCode > 5) {
            throw new IllegalArgumentException("sform_code must be 1..5 (the sform is always written): " + sformCode);
        }
        if (qformCode < 0 || qformCode > 5) throw new IllegalArgumentException("qform_code must be 0..5: " + qformCode);
        if (intentCode < Short.MIN_VALUE || intentCode > Short.MAX_VALUE) {
            throw new IllegalArgumentException("intent_code does not fit NIfTI-1's 16 bits: " + intentCode);
        }
    }

    /** float32, no rescaling, empty description, no intent, sform and qform "scanner" (1). */
    public static NiftiWriteOptions defaults() {
        return new NiftiWriteOptions(NiftiDatatype.FLOAT32, false, "", 0, "", 1, 1);
    }

    public NiftiWriteOptions withDatatype(NiftiDatatype type) {
        return new NiftiWriteOptions(type, rescale, description, intentCode, intentName, sformCode, qformCode);
    }

    public NiftiWriteOptions withRescale(boolean on) {
        return new NiftiWriteOptions(datatype, on, description, intentCode, intentName, sformCode, qformCode);
    }

    public NiftiWriteOptions withDescription(String text) {
        return new NiftiWriteOptions(datatype, rescale, text, intentCode, intentName, sformCode, qformCode);
    }

    public NiftiWriteOptions withIntent(int code, String name) {
        return new NiftiWriteOptions(datatype, rescale, description, code, name, sformCode, qformCode);
    }

    public NiftiWriteOptions withXformCodes(int sform, int qform) {
        return new NiftiWriteOptions(datatype, rescale, description, intentCode, intentName, sform, qform);
    }
}
