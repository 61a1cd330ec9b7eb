package org.voxellens.validation.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;
import org.voxellens.volumetric.render.HeatMapRenderer;
import org.voxellens.volumetric.render.Png;
import org.voxellens.volumetric.render.RenderOptions;
import org.voxellens.xai.attribution.MethodCatalog;
import org.voxellens.xai.runtime.Tensor;

/**
 * The benchmark's example pictures: a case's maps over its input on the model grid, through the lesion's centroid
 * (not the map's peak, so that a reader sees at once whether the map lands on the lesion).
 */
final class BenchmarkPictures {

    private BenchmarkPictures() {}

    /**
     * The model grid as the project's world geometry: benchmark arrays are [z, y, x] with +x patient right, +y
     * anterior, +z superior (RAS voxel axes), so in LPS the i and j axes point along -x and -y.
     */
    static Geometry grid(Tensor t, double[] voxelMmZyx, double[] centreRas) {
        int nx = (int) t.dim(4), ny = (int) t.dim(3), nz = (int) t.dim(2);
        double sx = voxelMmZyx[2], sy = voxelMmZyx[1], sz = voxelMmZyx[0];
        double[] originRas = {centreRas[0] - sx * (nx - 1) / 2.0, centreRas[1] - sy * (ny - 1) / 2.0, centreRas[2] - sz * (nz - 1) / 2.0};
        return Geometry.of(new int[] {nx, ny, nz}, new double[] {sx, sy, sz},
            new double[] {-originRas[0], -originRas[1], originRas[2]}, new double[] {-1, 0, 0, 0, -1, 0, 0, 0, 1});
    }

    static List<Path> write(LocalisationBenchmark.Pictures p, Path folder) throws IOException {
        Files.createDirectories(folder);
        Geometry g = grid(p.input(), p.voxelMm(), p.centreRas());
        Volume anatomy = new Volume(g, p.input().data());
        int[] voxel = {(int) Math.round(p.centroidZyx()[2]), (int) Math.round(p.centroidZyx()[1]), (int) Math.round(p.centroidZyx()[0])};
        List<Path> out = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : p.maps().entrySet()) {
            String title = p.task() + " " + p.caseId() + ": " + MethodCatalog.TITLES.getOrDefault(e.getKey(), e.getKey())
                + " (slices through the lesion centre)";
            HeatMapRenderer r = new HeatMapRenderer(RenderOptions.builder().title(title).build());
            Path f = folder.resolve(p.caseId() + "_" + e.getKey() + ".png");
            Png.write(r.render(anatomy, new Volume(g, e.getValue().data()), voxel), f);
            out.add(f);
        }
        return out;
    }
}
