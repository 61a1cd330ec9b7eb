package org.voxellens.volumetric.render;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;
import org.voxellens.volumetric.Geometry;
import org.voxellens.volumetric.Volume;

class OrthogonalViewTest {

    /** Voxel value encodes its own index, so a slice shows where each pixel came from. */
    static Volume indexed(Geometry g) {
        Volume v = Volume.zeros(g);
        for (int k = 0; k < g.nz(); k++) {
            for (int j = 0; j < g.ny(); j++) {
                for (int i = 0; i < g.nx(); i++) v.data()[v.index(i, j, k)] = i + 10 * j + 100 * k;
            }
        }
        return v;
    }

    static float code(int i, int j, int k) {
        return i + 10 * j + 100 * k;
    }

    @Test
    void planesCarryRadiologicalEdgeLetters() {
        assertEquals("R L A P", letters(Plane.AXIAL));
        assertEquals("R L S I", letters(Plane.CORONAL));
        assertEquals("A P S I", letters(Plane.SAGITTAL));
    }

    @Test
    void axisAlignedGridIsSlicedInDisplayOrientation() {
        Geometry g = Geometry.axisAligned(new int[] {4, 5, 6}, new double[] {1, 2, 3}, new double[] {0, 0, 0});
        OrthogonalView view = OrthogonalView.of(g);
        Volume v = indexed(g);
        int[] p = {1, 2, 3};

        Slice axial = view.slice(v, Plane.AXIAL, p); // columns toward L (+i), rows toward P (+j)
        assertEquals(4, axial.width());
        assertEquals(5, axial.height());
        assertEquals(2.0, axial.pixelHeightMm());
        assertEquals(code(3, 0, 3), axial.get(3, 0));
        assertEquals(1, axial.pointColumn());
        assertEquals(2, axial.pointRow());

        Slice coronal = view.slice(v, Plane.CORONAL, p); // rows from S (k = 5) down
        assertEquals(6, coronal.height());
        assertEquals(code(0, 2, 5), coronal.get(0, 0));
        assertEquals(code(3, 2, 0), coronal.get(3, 5));
        assertEquals(2, coronal.pointRow());

        Slice sagittal = view.slice(v, Plane.SAGITTAL, p); // columns from A (j = 0) to P
        assertEquals(5, sagittal.width());
        assertEquals(code(1, 4, 5), sagittal.get(4, 0));
        assertEquals(3.0, sagittal.pixelHeightMm());
    }

    @Test
    void rotatedAndFlippedGridLandsInTheSameOrientation() {
        // A coronal-style acquisition: i runs toward R, j toward S, k toward P.
        Geometry g = Geometry.of(new int[] {4, 5, 6}, new double[] {1, 2, 3}, new double[] {0, 0, 0},
            new double[] {-1, 0, 0, 0, 0, 1, 0, 1, 0});
        OrthogonalView view = OrthogonalView.of(g);
        assertEquals(0, view.voxelAxis(0));
        assertEquals(-1, view.sign(0));
        assertEquals(2, view.voxelAxis(1));
        assertEquals(1, view.voxelAxis(2));
        Volume v = indexed(g);
        int[] p = {1, 2, 3};

        Slice axial = view.slice(v, Plane.AXIAL, p); // left column = patient right = i = 3
        assertEquals(4, axial.width());
        assertEquals(6, axial.height());
        assertEquals(code(3, 2, 0), axial.get(0, 0));
        assertEquals(2, axial.pointColumn());
        assertEquals(3, axial.pointRow());

        Slice coronal = view.slice(v, Plane.CORONAL, p); // top row = superior = j = 4
        assertEquals(code(3, 4, 3), coronal.get(0, 0));
        assertEquals(2, coronal.pointRow());
    }

    @Test
    void obliqueGridStillGetsThreeDistinctAxes() {
        double c = Math.sqrt(0.5);
        Geometry g = Geometry.of(new int[] {3, 3, 3}, new double[] {1, 1, 1}, new double[] {0, 0, 0},
            new double[] {c, -c, 0, c, c, 0, 0, 0, 1});
        OrthogonalView view = OrthogonalView.of(g);
        assertEquals(3, view.voxelAxis(0) + view.voxelAxis(1) + view.voxelAxis(2));
        assertEquals(2, view.voxelAxis(2));
    }

    private static String letters(Plane p) {
        return p.leftLetter() + " " + p.rightLetter() + " " + p.topLetter() + " " + p.bottomLetter();
    }
}
