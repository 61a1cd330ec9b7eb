package org.voxellens.io;

import java.util.Optional;

import org.voxellens.io.dicom.DicomVolume;
import org.voxellens.io.nifti.NiftiImage;
import org.voxellens.volumetric.Volume;

/**
 * A volume read by {@link VolumeReader}, whatever its format.
 *
 * @param volume      the voxels on their LPS geometry
 * @param displayName a name safe to log (file name, or DICOM series number/description/modality; no patient data)
 * @param format      what it was read from
 * @param dicom       the DICOM series details (for writing results back into its study), when DICOM
 * @param nifti       the NIfTI header details, when NIfTI
 * @param message     what the caller should tell the user (e.g. which of several series was taken by default, or
 *                    files that were skipped), when there is something to say
 */
public record LoadedVolume(Volume volume, String displayName, Format format, Optional<DicomVolume> dicom,
                           Optional<NiftiImage> nifti, Optional<String> message) {

    /** The input formats. */
    public enum Format { NIFTI, DICOM }
}
