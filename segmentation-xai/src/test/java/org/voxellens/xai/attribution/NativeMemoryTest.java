package org.voxellens.xai.attribution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.CancellationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.voxellens.xai.model.ModelPackage;
import org.voxellens.xai.runtime.DeviceSpec;
import org.voxellens.xai.runtime.Tensor;
import org.voxellens.xai.runtime.TorchModel;
import org.voxellens.xai.target.ClassLogitTarget;

/**
 * No per-sample native allocations are left behind (shared/notes/djl.md: without per-pass scopes SmoothGrad leaked
 * ~29 MB per sample): after every method, with several batches each, and after a cancel in the middle of a
 * sampled method, the model's NDManager holds exactly the arrays it held before.
 */
class NativeMemoryTest {

    static final Path MODELS = Path.of(System.getProperty("voxellens.test.models", "../models"));
    static TorchModel model;
    static Tensor x;

    @BeforeAll
    static void load() throws Exception {
        model = TorchModel.load(ModelPackage.open(MODELS.resolve("demo-classifier")), DeviceSpec.CPU);
        long[] shape = model.modelPackage().inputShape(1);
        float[] d = new float[(int) (shape[2] * shape[3] * shape[4])];
        SplittableRandom r = new SplittableRandom(5);
        for (int i = 0; i < d.length; i++) d[i] = (float) r.nextGaussian();
        x = new Tensor(d, shape);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static ExplainContext ctx(Progress p) {
        return new ExplainContext(model, x, new ClassLogitTarget(1, "lesion"), 11, p);
    }

    @Test
    void everyMethodLeavesTheNativeArraysAsItFoundThem() {
        MethodCatalog.Options o = new MethodCatalog.Options(null, 6, 0.15, 6, IntegratedGradients.Baseline.ZERO, 2)
            .withOcclusion(new MethodCatalog.OcclusionOptions(16, 16, 1, 0.25, false));
        for (AttributionMethod m : MethodCatalog.parse("all", o)) {
            m.explain(ctx(Progress.NONE)); // first run of each shape
            int before = model.liveArrays();
            long samples = model.samplesEvaluated();
            m.explain(ctx(Progress.NONE));
            m.explain(ctx(Progress.NONE));
            assertTrue(model.samplesEvaluated() > samples, m.id() + " ran the model");
            assertEquals(before, model.liveArrays(), m.id() + ": native arrays left behind after two runs");
        }
    }

    @Test
    void aCancelMidwayLeavesNothingBehind() {
        int before = model.liveArrays();
        int[] calls = {0};
        Progress cancelAtSecondBatch = new Progress() {
            @Override
            public void update(String stage, int done, int total) { calls[0]++; }

            @Override
            public boolean isCancelled() { return calls[0] > 2; }
        };
        for (AttributionMethod m : new AttributionMethod[] {
            SmoothGrad.builder().variant(SmoothGrad.Variant.VARGRAD).samples(8).batchSize(2).build(),
            IntegratedGradients.builder().steps(8).batchSize(2).build()}) {
            calls[0] = 0;
            assertThrows(CancellationException.class, () -> m.explain(ctx(cancelAtSecondBatch)), m.id());
            assertEquals(before, model.liveArrays(), m.id() + ": native arrays left behind by a cancelled run");
        }
    }
}
