/**
 * NIfTI-1 and NIfTI-2 input and output. Research pipelines (nibabel, FSL, ANTs, SPM, nnU-Net) exchange volumes
 * and masks as NIfTI, so explanations must be readable from and writable to it in the same patient geometry as
 * the DICOM path. NIfTI's world is RAS; the project's is DICOM LPS, and {@link org.voxellens.io.nifti.RasLps} is
 * the only place that converts between them.
 */
package org.voxellens.io.nifti;
