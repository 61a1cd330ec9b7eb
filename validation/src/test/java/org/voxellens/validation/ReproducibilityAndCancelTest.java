package org.voxellens.validation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.voxellens.xai.attribution.ExplainContext;
import org.voxellens.xai.attribution.Progress;
import org.voxellens.xai.attribution.SmoothGrad;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.runtime.DeviceSpec;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.Target;
import org.voxellens.xai.target.TargetSpec;

@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReproducibilityAndCancelTest {

    TorchModel model;
    Tensor input;
    Target target;

    @BeforeAll
    void load() throws IOException {
        ModelPackage pkg = ModelPackage.open(ReferenceCrossCheckTest.MODELS.resolve("demo-classifier"));
        model = TorchModel.load(pkg, DeviceSpec.CPU);
        input = new Reference("demo-classifier").tensor("input");
        target = new TargetSpec("lesion", null).resolve(pkg, model.forward(input), null);
    }

    @AfterAll
    void close() {
        model.close();
    }

    private float[] smoothGrad(long seed, int batch, Progress p) {
        return SmoothGrad.builder().samples(6).batchSize(batch).build()
            .explain(new ExplainContext(model, input, target, seed, p)).map().data();
    }

    @Test
    void sameSeedSameMapWhateverTheBatchSize() {
        float[] a = smoothGrad(11, 6, Progress.NONE);
        float[] b = smoothGrad(11, 4, Progress.NONE);
        // batch composition changes libtorch's summation order only within a sample: results agree to float noise
        double maxA = 0, maxDiff = 0;
        for (int i = 0; i < a.length; i++) {
            maxA = Math.max(maxA, Math.abs(a[i]));
            maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
        }
        assertTrue(maxDiff <= 1e-4 * maxA, "batch size changed the map by " + maxDiff);
        assertArrayEquals(a, smoothGrad(11, 6, Progress.NONE), "bit-identical on a re-run");
        assertFalse(Arrays.equals(a, smoothGrad(12, 6, Progress.NONE)), "another seed, other noise");
    }

    @Test
    void cancelStopsWithinOneBatch() {
        AtomicInteger batches = new AtomicInteger();
        Progress cancelAfterFirst = new Progress() {
            @Override
            public void update(String stage, int done, int total) {
                if (done > 0) batches.incrementAndGet();
            }

            @Override
            public boolean isCancelled() {
                return batches.get() >= 1;
            }
        };
        assertThrows(CancellationException.class, () -> smoothGrad(1, 2, cancelAfterFirst));
        assertTrue(batches.get() == 1, "stopped after the first of three batches, ran " + batches.get());
    }
}
