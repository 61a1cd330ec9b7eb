package org.voxellens.xai.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BatchSizerTest {

    static final long GIB = 1L << 30;

    @Test
    void aBatchSizeTheUserSetIsKept() {
        assertEquals(3, BatchSizer.choose(3, 96 * 96 * 96, BatchSizer.Pass.GRADIENT, "cpu()"));
    }

    @Test
    void autoFitsHalfOfTheFreeNativeMemoryAndHeap() {
        long v = 96L * 96 * 96; // 0.88 M voxels: 432 MiB native per sample for forward+backward
        assertEquals(9, BatchSizer.fit(v, BatchSizer.Pass.GRADIENT, 8 * GIB, 64 * GIB), "8 GiB free: 4 GiB planned / 432 MiB");
        assertEquals(1, BatchSizer.fit(v, BatchSizer.Pass.GRADIENT, GIB / 4, 64 * GIB), "never below 1");
        assertEquals(BatchSizer.MAX_BATCH, BatchSizer.fit(48L * 48 * 48, BatchSizer.Pass.FORWARD, 64 * GIB, 64 * GIB));
        assertEquals(4, BatchSizer.fit(v, BatchSizer.Pass.FORWARD, 64 * GIB, 90L << 20), "heap-bound: 45 MiB / 10.6 MB");
        assertTrue(BatchSizer.fit(v, BatchSizer.Pass.FORWARD, 8 * GIB, 64 * GIB) > BatchSizer.fit(v, BatchSizer.Pass.GRADIENT, 8 * GIB, 64 * GIB));
    }

    @Test
    void autoOnThisMachineGivesAUsableBatch() {
        int b = BatchSizer.choose(0, 64 * 64 * 64, BatchSizer.Pass.GRADIENT, "cpu()");
        assertTrue(b >= 1 && b <= BatchSizer.MAX_BATCH, "batch " + b);
    }
}
