package org.voxellens.fiji;

import org.voxellens.testing.Dciodvfy;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.scijava.Context;
import org.scijava.command.CommandInfo;
import org.scijava.command.CommandModule;
import org.scijava.command.CommandService;
import org.voxellens.fiji.scijava.ExplainVolumeCommand;
import org.voxellens.fiji.scijava.ExportMapCommand;
import org.voxellens.fiji.scijava.ScoreExplanationCommand;
import org.voxellens.io.nifti.NiftiReader;
import org.voxellens.volumetric.Volume;

/** The SciJava commands, found through the plugin index and run headless through a Context and CommandService. */
class ScijavaCommandsTest {

    @TempDir
    Path tmp;

    @Test
    @Timeout(120)
    void commandsAreIndexedAndRunHeadless() throws Exception {
        try (Context ctx = new Context(CommandService.class)) {
            CommandService commands = ctx.service(CommandService.class);
            // discovered through META-INF/json/org.scijava.plugin.Plugin, as in Fiji
            for (Class<?> c : List.of(ExplainVolumeCommand.class, ScoreExplanationCommand.class, ExportMapCommand.class)) {
                CommandInfo info = commands.getCommand(c.getName());
                assertTrue(info != null && info.canRunHeadless(), c.getName());
            }
            Path out = tmp.resolve("scored");
            CommandModule m = commands.run(ScoreExplanationCommand.class.getName(), true, "input", ExplainVolumeTest.SAMPLE.toFile(),
                "model", ExplainVolumeTest.CLASSIFIER.toFile(), "methods", "saliency", "target", "lesion", "metrics", "infidelity",
                "output", out.toFile()).get();
            String scores = (String) m.getOutput("scores");
            assertTrue(scores.startsWith("method,metric,name,value,seconds\n"), scores);
            assertTrue(scores.contains("\nsaliency,infidelity,infidelity,"), scores);
            Volume map = NiftiReader.read(out.resolve("saliency.nii.gz")).volume();
            assertTrue(NiftiReader.read(ExplainVolumeTest.SAMPLE).volume().geometry().sameGrid(map.geometry(), 1e-3));

            Path dcm = tmp.resolve("saliency-pm.dcm");
            CommandModule e = commands.run(ExportMapCommand.class.getName(), true, "input", out.resolve("saliency.nii.gz").toFile(),
                "output", dcm.toFile()).get();
            assertTrue(Files.size(dcm) > 4L * map.data().length, (String) e.getOutput("status"));
            Dciodvfy.assertValid(dcm);

            ExecutionException bad = assertThrows(ExecutionException.class, () -> commands.run(ExplainVolumeCommand.class.getName(), true,
                "input", tmp.resolve("missing.nii.gz").toFile(), "model", ExplainVolumeTest.CLASSIFIER.toFile(),
                "output", tmp.resolve("x").toFile()).get());
            Throwable root = bad;
            while (root.getCause() != null) root = root.getCause();
            assertTrue(root instanceof IllegalArgumentException && root.getMessage().contains("missing.nii.gz: no such file"), String.valueOf(root));
            assertTrue(Files.notExists(tmp.resolve("x")), "nothing written for a failed run");
        }
    }
}
