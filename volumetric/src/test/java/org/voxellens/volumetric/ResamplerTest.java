package org.voxellens.volumetric;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class ResamplerTest {

    /** Row-major rotation (columns = rotated axes) about z by a, then about x by b. */
    static double[] rotation(double a, double b) {
        double ca = Math.cos(a), sa = Math.sin(a), cb = Math.cos(b), sb = Math.sin(b);
        double[] rz = {ca, -sa, 0, sa, ca, 0, 0, 0, 1};
        double[] rx = {1, 0, 0, 0, cb, -sb, 0, sb, cb};
        double[] r = new double[9];
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                for (int q = 0; q < 3; q++) r[i * 3 + j] += rx[i * 3 + q] * rz[q * 3 + j];
            }
        }
        return r;
    }

    static Volume random(Geometry g, long seed) {
        Random rnd = new Random(seed);
        float[] d = new float[(int) g.voxelCount()];
        for (int n = 0; n < d.length; n++) d[n] = rnd.nextFloat() * 100 - 50;
        return new Volume(g, d);
    }

    static Volume fromWorld(Geometry g, java.util.function.ToDoubleFunction<double[]> f) {
        Volume v = Volume.zeros(g);
        float[] d = v.data();
        for (int k = 0; k < g.nz(); k++) {
            for (int j = 0; j < g.ny(); j++) {
                for (int i = 0; i < g.nx(); i++) d[v.index(i, j, k)] = (float) f.applyAsDouble(g.voxelToWorld(i, j, k));
            }
        }
        return v;
    }

    @Test
    void identityGeometryReturnsIdenticalValues() {
        Geometry oblique = Geometry.of(new int[] {13, 11, 7}, new double[] {0.8, 1.3, 2.5},
            new double[] {-101.3, 37.25, 512.9}, rotation(0.37, -0.81));
        Volume src = random(oblique, 1);
        for (Interpolation interp : Interpolation.values()) {
            Volume out = Resampler.resample(src, oblique, interp, Float.NaN);
            assertArrayEquals(src.data(), out.data(), interp.name());
            assertEquals(oblique, out.geometry());
        }
    }

    @Test
    void linearReproducesAWorldRampUnderRotationScalingAndShift() {
        Geometry source = Geometry.of(new int[] {30, 32, 20}, new double[] {1.2, 0.9, 2.0},
            new double[] {-18, -10, -15}, rotation(0.35, 0));
        Volume src = fromWorld(source, w -> 0.5 * w[0] - 0.25 * w[1] + 0.75 * w[2] + 3);
        Geometry target = Geometry.of(new int[] {24, 22, 26}, new double[] {0.7, 1.3, 1.1},
            new double[] {-5, -3, -9}, rotation(-0.6, 0.45));
        Volume out = Resampler.resample(src, target, Interpolation.LINEAR, Float.NaN);
        int interior = 0;
        for (int k = 0; k < target.nz(); k++) {
            for (int j = 0; j < target.ny(); j++) {
                for (int i = 0; i < target.nx(); i++) {
                    double[] w = target.voxelToWorld(i, j, k);
                    double[] s = source.worldToVoxel(w[0], w[1], w[2]);
                    if (s[0] < 0 || s[1] < 0 || s[2] < 0 || s[0] > 29 || s[1] > 31 || s[2] > 19) continue;
                    interior++;
                    assertEquals(0.5 * w[0] - 0.25 * w[1] + 0.75 * w[2] + 3, out.get(i, j, k), 2e-4);
                }
            }
        }
        assertTrue(interior > 2000, "too few interior points: " + interior);
    }

    @Test
    void nearestPreservesTheLabelSet() {
        Geometry source = Geometry.axisAligned(new int[] {20, 18, 16}, new double[] {1, 1.5, 2}, new double[] {0, 0, 0});
        Volume labels = fromWorld(source, w -> w[0] < 8 ? 0 : w[1] < 12 ? 3 : w[2] < 14 ? 7 : 42);
        Set<Float> expected = Set.of(0f, 3f, 7f, 42f);

        Geometry rotated = Geometry.of(source.dims(), new double[] {0.6, 0.7, 0.9}, source.center(), rotation(0.5, 0.3));
        Set<Float> seen = values(Resampler.resample(labels, rotated, Interpolation.NEAREST, -1));
        seen.remove(-1f);
        assertTrue(expected.containsAll(seen), "invented labels: " + seen);

        Geometry finer = source.recentered(new int[] {40, 36, 32}, new double[] {0.5, 0.75, 1});
        assertEquals(new TreeSet<>(expected), values(Resampler.resample(labels, finer, Interpolation.NEAREST, -1)));
    }

    @Test
    void upsampleThenDownsampleRoundTrips() {
        Geometry coarse = Geometry.of(new int[] {8, 7, 6}, new double[] {2, 2, 2}, new double[] {4, -7, 3}, rotation(0.2, 0.1));
        Volume src = random(coarse, 2);
        Geometry fine = Geometry.of(new int[] {15, 13, 11}, new double[] {1, 1, 1}, coarse.origin(), coarse.direction());
        Volume up = Resampler.resample(src, fine, Interpolation.LINEAR, Float.NaN);
        assertEquals((src.get(2, 3, 1) + src.get(3, 3, 1)) / 2, up.get(5, 6, 2), 1e-4);
        Volume back = Resampler.resample(up, coarse, Interpolation.LINEAR, Float.NaN);
        assertArrayEquals(src.data(), back.data(), 1e-4f);
    }

    @Test
    void coarseRoundTripKeepsTheBorder() {
        Geometry grid = Geometry.axisAligned(new int[] {16, 16, 16}, new double[] {1, 1, 1}, new double[] {0, 0, 0});
        Volume map = fromWorld(grid, w -> 1 + w[0]);
        Geometry coarse = grid.recentered(new int[] {8, 8, 8}, new double[] {2, 2, 2});
        Volume back = Resampler.resample(Resampler.resample(map, coarse, Interpolation.LINEAR, Float.NaN), grid,
            Interpolation.LINEAR, Float.NaN);
        assertEquals(-1, back.firstNonFinite(), "border voxels were dropped");
        assertEquals(1.5f, back.get(0, 5, 5), 1e-5); // clamped to the first coarse voxel (world x = 0.5)
    }

    @Test
    void pointsWithinHalfAVoxelClampAndFurtherOutAreOutside() {
        Geometry g = Geometry.axisAligned(new int[] {4, 1, 1}, new double[] {1, 1, 1}, new double[] {0, 0, 0});
        Volume v = new Volume(g, new float[] {10, 20, 30, 40});
        Geometry probe = Geometry.axisAligned(new int[] {2, 1, 1}, new double[] {3.98, 1, 1}, new double[] {-0.49, 0, 0});
        Geometry beyond = Geometry.axisAligned(new int[] {2, 1, 1}, new double[] {4.04, 1, 1}, new double[] {-0.51, 0, 0});
        for (Interpolation interp : Interpolation.values()) {
            assertArrayEquals(new float[] {10, 40}, Resampler.resample(v, probe, interp, -1).data(), interp.name());
            assertArrayEquals(new float[] {-1, -1}, Resampler.resample(v, beyond, interp, -1).data(), interp.name());
        }
    }

    @Test
    void flippedDirectionGivesTheMirroredArray() {
        Geometry src = Geometry.axisAligned(new int[] {4, 3, 2}, new double[] {1.5, 1, 2}, new double[] {10, 20, 30});
        Volume v = random(src, 3);
        Geometry flipped = Geometry.of(src.dims(), src.spacing(), new double[] {10 + 3 * 1.5, 20, 30},
            new double[] {-1, 0, 0, 0, 1, 0, 0, 0, 1});
        Volume out = Resampler.resample(v, flipped, Interpolation.LINEAR, Float.NaN);
        for (int k = 0; k < 2; k++) {
            for (int j = 0; j < 3; j++) {
                for (int i = 0; i < 4; i++) assertEquals(v.get(3 - i, j, k), out.get(i, j, k));
            }
        }
    }

    @Test
    void axisSwapGivesTheTransposedArray() {
        Geometry src = Geometry.axisAligned(new int[] {4, 3, 2}, new double[] {1, 1, 1}, new double[] {0, 0, 0});
        Volume v = random(src, 4);
        Geometry swapped = Geometry.of(new int[] {3, 4, 2}, new double[] {1, 1, 1}, new double[] {0, 0, 0},
            new double[] {0, 1, 0, 1, 0, 0, 0, 0, 1});
        Volume out = Resampler.resample(v, swapped, Interpolation.NEAREST, Float.NaN);
        for (int k = 0; k < 2; k++) {
            for (int j = 0; j < 4; j++) {
                for (int i = 0; i < 3; i++) assertEquals(v.get(j, i, k), out.get(i, j, k));
            }
        }
    }

    @Test
    void singleSliceVolumesResampleInPlane() {
        Geometry slab = Geometry.axisAligned(new int[] {3, 3, 1}, new double[] {2, 2, 3}, new double[] {0, 0, 0});
        Volume v = new Volume(slab, new float[] {0, 2, 4, 0, 2, 4, 0, 2, 4});
        Geometry fine = Geometry.axisAligned(new int[] {5, 3, 1}, new double[] {1, 2, 3}, new double[] {0, 0, 0});
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4},
            Resampler.resample(v, fine, Interpolation.LINEAR, Float.NaN).data());
    }

    private static Set<Float> values(Volume v) {
        Set<Float> s = new TreeSet<>();
        for (float f : v.data()) s.add(f);
        return s;
    }
}
