package org.voxellens.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.voxellens.io.LoadedVolume;
import org.voxellens.io.VolumeReader;
import org.voxellens.io.nifti.NiftiReader;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;
import org.voxellens.xai.model.ModelPackage;

/**
 * The volumes of a model's input channels: one {@code --input} per channel (T1, FLAIR, ...), or the volumes of one 4D
 * NIfTI, in the package's channel order. The first input's grid is the reference; the others must overlap it (a
 * different patient or frame of reference would be resampled into nothing).
 */
final class InputChannels {

    private InputChannels() {}

    static List<Volume> of(ModelPackage pkg, Path first, LoadedVolume image, List<Path> more) throws IOException {
        List<Volume> channels = new ArrayList<>();
        channels.add(image.volume());
        int wanted = pkg.channels();
        if (more.isEmpty() && wanted > 1 && image.nifti().isPresent()) {
            int volumes = image.nifti().get().volumeCount();
            if (volumes != wanted) {
                throw new IllegalArgumentException(first + ": model " + pkg.name() + " expects " + wanted + " input channels"
                    + pkg.describeChannels() + "; this NIfTI holds " + volumes + " volume" + (volumes == 1 ? "" : "s")
                    + " (give one --input per channel, in that order, or a 4D NIfTI with " + wanted + " volumes)");
            }
            for (int v = 1; v < volumes; v++) channels.add(NiftiReader.read(first, v).volume());
            return channels;
        }
        for (Path p : more) {
            Volume v = VolumeReader.read(p, null).volume();
            if (!overlaps(image.volume().geometry(), v.geometry())) {
                throw new IllegalArgumentException(p + ": does not overlap " + first.getFileName() + " in the patient's space "
                    + "(another patient, or another frame of reference); the channels of one model input must be of one scan session");
            }
            channels.add(v);
        }
        return channels;
    }

    /** Whether the centre of {@code other} lies inside the field of view of {@code ref}. */
    static boolean overlaps(Geometry ref, Geometry other) {
        double[] c = other.center();
        double[] v = ref.worldToVoxel(c[0], c[1], c[2]);
        int[] d = ref.dims();
        for (int a = 0; a < 3; a++) if (v[a] < -0.5 || v[a] > d[a] - 0.5) return false;
        return true;
    }

    /** Channel {@code c}'s name for file names: the package's channel name, else "ch" + c. */
    static String name(ModelPackage pkg, int c) {
        String n = c < pkg.channelNames().size() ? pkg.channelNames().get(c) : "ch" + c;
        String safe = n.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_-]+", "_");
        return safe.isEmpty() ? "ch" + c : safe;
    }

    static String describeSources(Path first, List<Path> more) {
        if (more.isEmpty()) return first.getFileName() + " (4D)";
        List<String> names = new ArrayList<>();
        names.add(first.getFileName().toString());
        for (Path p : more) names.add(p.getFileName().toString());
        return String.join(", ", names);
    }
}
