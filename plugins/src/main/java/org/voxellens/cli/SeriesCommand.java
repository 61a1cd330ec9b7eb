package org.voxellens.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.voxellens.io.dicom.DicomFolder;
import org.voxellens.io.dicom.SeriesSummary;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code voxellens series DIR}: what a DICOM folder holds, without patient data. */
@Command(name = "series", mixinStandardHelpOptions = true,
    description = "List the studies and series in a DICOM folder (UIDs, modality, description, images, dimensions; no patient data).")
final class SeriesCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", description = "Folder (searched recursively) or DICOM file.")
    Path folder;

    @picocli.CommandLine.Option(names = "--show-descriptions", description = "Also print the Series Descriptions "
        + "(free text: it may hold patient names or dates, so it is left out by default).")
    boolean showDescriptions;

    @Override
    public Integer call() throws IOException {
        java.io.PrintWriter con = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        DicomFolder f = DicomFolder.scan(folder);
        f.warnings().forEach(w -> err.println("voxellens: warning: " + w));
        if (f.series().isEmpty()) {
            con.println("No DICOM image series in " + folder);
            return 1;
        }
        String study = null;
        for (SeriesSummary s : f.series()) {
            if (!s.studyInstanceUid().equals(study)) {
                study = s.studyInstanceUid();
                con.println("Study " + study);
            }
            con.println("  " + s.describe(showDescriptions));
        }
        con.println("Select one with --series <SeriesInstanceUID or series number>; default: the largest 3D series.");
        return 0;
    }
}
