/**
 * DICOM input through PixelMed: {@link org.voxellens.io.dicom.DicomFolder} finds and lists the series under a
 * folder, {@link org.voxellens.io.dicom.DicomSeriesReader} stacks one of them into a volume in the patient's LPS
 * geometry (sorted along the slice normal; missing slices, uneven spacing, mixed orientations and gantry tilt are
 * refused with a message saying where). No message or log line carries patient identifiers.
 */
package org.voxellens.io.dicom;
