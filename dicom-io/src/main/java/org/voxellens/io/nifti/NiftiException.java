package org.voxellens.io.nifti;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A NIfTI file that cannot be read or written as asked. Checked, so that callers handling user-supplied files
 * cannot forget the case; the one-line message always starts with the file, because the user has to know which
 * of possibly many inputs is at fault.
 */
public class NiftiException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public NiftiException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public NiftiException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file at fault (for a .hdr/.img pair, whichever of the two the problem is in). */
    public Path file() {
        return file;
    }
}
