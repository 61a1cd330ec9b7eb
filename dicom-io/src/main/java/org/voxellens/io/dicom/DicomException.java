package org.voxellens.io.dicom;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A DICOM file or series that cannot be read as asked. The one-line message starts with the file or folder at
 * fault and never contains patient identifiers (name, ID, birth date): only UIDs, series numbers and
 * descriptions, geometry and technical facts.
 */
public class DicomException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public DicomException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    public DicomException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file or folder at fault. */
    public Path file() {
        return file;
    }
}
