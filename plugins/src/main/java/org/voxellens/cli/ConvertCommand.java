package org.voxellens.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.voxellens.io.LoadedVolume;
import org.voxellens.io.VolumeReader;
import org.voxellens.io.dicom.out.DicomResultWriter;
import org.voxellens.io.nifti.NiftiWriteOptions;
import org.voxellens.io.nifti.NiftiWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code voxellens convert}: a DICOM series (or NIfTI) to NIfTI on the same world grid, as dcm2niix users expect
 * (LPS in DICOM, RAS in NIfTI, no flips). Writing NIfTI back to a DICOM series comes with the DICOM writers.
 */
@Command(name = "convert", mixinStandardHelpOptions = true,
    description = "Convert a DICOM series (folder or file) to NIfTI (.nii, .nii.gz), or a volume to DICOM (.dcm: a Parametric Map in a new research study), keeping its world geometry.")
final class ConvertCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--input", required = true, description = "DICOM folder or file, or NIfTI.")
    Path input;
    @Option(names = "--series", description = "SeriesInstanceUID or series number (default: the largest 3D series).")
    String series;
    @Option(names = "--out", required = true, description = "Output .nii or .nii.gz file.")
    Path out;

    @Override
    public Integer call() throws IOException {
        java.io.PrintWriter con = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        String name = out.getFileName().toString();
        boolean dicom = name.endsWith(".dcm");
        if (!name.endsWith(".nii") && !name.endsWith(".nii.gz") && !dicom) {
            throw new IllegalArgumentException(out + ": output must be .nii, .nii.gz or .dcm");
        }
        LoadedVolume v = VolumeReader.read(input, series);
        v.message().ifPresent(m -> m.lines().forEach(l -> con.println("Note   " + l)));
        if (dicom) {
            // A Parametric Map keeps float values and the exact geometry in one valid object, in a new research study.
            DicomResultWriter.builder().softwareVersion(Versions.voxellens()).build().writeVolume(v.volume(), v.displayName(), out);
        } else {
            NiftiWriter.write(v.volume(), out, NiftiWriteOptions.defaults().withDescription("VoxelLens from " + v.format()));
        }
        var g = v.volume().geometry();
        con.printf("Wrote %s: %dx%dx%d voxels from %s%n", out, g.nx(), g.ny(), g.nz(), v.displayName());
        return 0;
    }
}
