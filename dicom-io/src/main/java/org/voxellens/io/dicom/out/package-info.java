/**
 * Writing VoxelLens results as DICOM, as a new series in the source study:
 * {@link org.voxellens.io.dicom.out.DicomResultWriter} (Parametric Map of an attribution map, RGB Secondary Capture
 * of the heat map over the anatomy, binary SEG of a label volume), {@link org.voxellens.io.dicom.out.SourceStudy}
 * (the source's study, frame of reference and images, or a synthetic study for NIfTI sources),
 * {@link org.voxellens.io.dicom.out.DicomUids} (random or seed-derived 2.25 UIDs) and
 * {@link org.voxellens.io.dicom.out.DicomModules} (attribute building blocks and atomic Part 10 writing).
 * Nothing here logs; exception messages name files and problems, never patient data.
 */
package org.voxellens.io.dicom.out;
