package org.voxellens.xai.attribution;

import java.util.concurrent.CancellationException;

/**
 * Where long work reports how far it is, and where it learns that the user cancelled (Esc in Fiji, Ctrl-C on the
 * command line). Methods call {@link #step} between batches, so a cancel takes effect within one batch.
 */
public interface Progress {

    Progress NONE = (stage, done, total) -> { };

    /** {@code done} of {@code total} units of {@code stage} are finished. */
    void update(String stage, int done, int total);

    default boolean isCancelled() { return false; }

    /** Reports progress, then throws {@link CancellationException} if the user cancelled. */
    default void step(String stage, int done, int total) {
        update(stage, done, total);
        if (isCancelled()) throw new CancellationException(stage + " cancelled");
    }
}
