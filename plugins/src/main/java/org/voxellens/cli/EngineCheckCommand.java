package org.voxellens.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.google.gson.GsonBuilder;
import java.util.concurrent.Callable;
import org.voxellens.xai.runtime.DeviceSpec;
import org.voxellens.xai.runtime.EngineGuard;
import org.voxellens.xai.runtime.TorchModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code voxellens engine-check}: which libtorch build loaded, which devices it sees, and the known-answer check on
 * the chosen device, as every model load runs it. The one command to see whether a machine (a new CPU, a GPU set up
 * with {@code gpu-setup}) gives exact maps; exit code 1 when it does not.
 */
@Command(name = "engine-check", mixinStandardHelpOptions = true,
    description = "Checks the engine on known answers (3D convolutions, forward and backward) on a device and says what it found.")
final class EngineCheckCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--device", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).", defaultValue = "auto")
    String device;

    @Option(names = "--json", description = "Print the check as JSON (as summary.json records it).")
    boolean json;

    private java.io.PrintWriter out() { return spec.commandLine().getOut(); }

    @Override
    public Integer call() {
        DeviceSpec spec = DeviceSpec.parse(device);
        Device d = TorchModel.Engines.resolve(spec);
        Engine e = Engine.getEngine("PyTorch");
        out().println("Engine   DJL " + Engine.getDjlVersion() + ", libtorch " + e.getVersion() + " ("
            + TorchModel.Engines.libtorchBuild() + ")");
        out().println("Devices  " + e.getGpuCount() + " GPU(s) visible; checking " + d);
        EngineGuard.Report r = TorchModel.Engines.check(d);
        out().println("CPU      " + r.cpu());
        out().println("Check    " + r.describe());
        if (json) out().println(new GsonBuilder().setPrettyPrinting().serializeSpecialFloatingPointValues().create().toJson(r.toJson()));
        return 0;
    }
}
