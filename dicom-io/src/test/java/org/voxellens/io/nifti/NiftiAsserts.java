package org.voxellens.io.nifti;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.function.Executable;
import org.voxellens.volumetric.Geometry;

final class NiftiAsserts {

    private NiftiAsserts() {
    }

    /** Every element of the 3x4 voxel-to-LPS affine within tol. */
    static void assertAffine(double[][] expectedLps, Geometry g, double tol) {
        double[][] a = g.affine();
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < 4; c++) {
                assertEquals(expectedLps[r][c], a[r][c], tol, "affine[" + r + "][" + c + "] of " + g);
            }
        }
    }

    /** The call fails with a NiftiException whose one-line message names the file and contains every fragment. */
    static NiftiException assertNiftiError(Path file, Executable call, String... fragments) {
        NiftiException e = assertThrows(NiftiException.class, call);
        String m = e.getMessage();
        assertTrue(m.contains(file.toString()), "message should name " + file + ": " + m);
        assertTrue(!m.contains("\n"), "message should be one line: " + m);
        for (String f : fragments) assertTrue(m.contains(f), "message should contain '" + f + "': " + m);
        return e;
    }

    static double sum(float[] data) {
        double s = 0;
        for (float v : data) s += v;
        return s;
    }
}
