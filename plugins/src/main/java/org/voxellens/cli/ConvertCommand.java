package org.voxellens.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.voxellens.io.LoadedVolume;
import org.voxellens.io.VolumeReader;
import org.voxellens.io.dicom.out.DicomResultWriter;
import org.voxellens.io.dicom.out.ImageSeriesWriter;
import org.voxellens.io.dicom.out.SourceStudy;
import org.voxellens.io.nifti.NiftiWriteOptions;
import org.voxellens.io.nifti.NiftiWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code voxellens convert}: between DICOM and NIfTI on the same world grid, as dcm2niix users expect (LPS in
 * DICOM, RAS in NIfTI, no flips). The output's form follows its name: {@code .nii}/{@code .nii.gz} a NIfTI file,
 * {@code .dcm} a float Parametric Map (exact values), anything else a folder holding a classic single-frame image
 * series (16-bit, exact for integer volumes), in a new research study.
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
    description = "Convert a DICOM series to NIfTI and back, keeping the world geometry. --out x.nii(.gz): NIfTI; "
        + "--out x.dcm: one float Parametric Map; --out DIR: a classic image series (one file per slice).")
final class ConvertCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--input", required = true, description = "DICOM folder or file, or NIfTI.")
    Path input;
    @Option(names = "--series", description = "SeriesInstanceUID or series number (default: the largest 3D series).")
    String series;
    @Option(names = "--out", required = true, description = "Output: .nii, .nii.gz, .dcm, or a new folder for a DICOM series.")
    Path out;
    @Option(names = "--modality", defaultValue = "MR", description = "For a DICOM series output: MR or CT (default: ${DEFAULT-VALUE}).")
    String modality;

    @Override
    public Integer call() throws IOException {
        java.io.PrintWriter con = spec.commandLine().getOut();
        String name = out.getFileName().toString();
        ImageSeriesWriter.Modality m = ImageSeriesWriter.Modality.parse(modality); // refuse a bad option before reading
        LoadedVolume v = VolumeReader.read(input, series);
        v.message().ifPresent(msg -> msg.lines().forEach(l -> con.println("Note   " + l)));
        String what;
        if (name.endsWith(".nii") || name.endsWith(".nii.gz")) {
            NiftiWriter.write(v.volume(), out, NiftiWriteOptions.defaults().withDescription("VoxelLens from " + v.format()));
            what = "NIfTI";
        } else if (name.endsWith(".dcm")) {
            DicomResultWriter.builder().softwareVersion(Versions.voxellens()).build().writeVolume(v.volume(), v.displayName(), out);
            what = "DICOM Parametric Map";
        } else if (name.contains(".")) {
            throw new IllegalArgumentException(out + ": output must be .nii, .nii.gz, .dcm, or a folder name for a DICOM series");
        } else {
            ImageSeriesWriter.builder().modality(m).softwareVersion(Versions.voxellens()).build()
                .write(v.volume(), SourceStudy.synthetic(v.volume().geometry(), null), out);
            what = "DICOM " + m + " image series";
        }
        var g = v.volume().geometry();
        con.printf("Wrote %s (%s): %dx%dx%d voxels from %s%n", out, what, g.nx(), g.ny(), g.nz(), v.displayName());
        return 0;
    }
}
