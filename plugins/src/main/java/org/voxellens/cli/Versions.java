package org.voxellens.cli;

/** The running VoxelLens version, from the jar manifest when packaged. */
final class Versions {
    private Versions() {}

    static String voxellens() {
        String v = Versions.class.getPackage().getImplementationVersion();
        return v == null ? "0.1.0-SNAPSHOT" : v;
    }
}
