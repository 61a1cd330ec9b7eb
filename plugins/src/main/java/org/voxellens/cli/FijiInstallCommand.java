package org.voxellens.cli;

import java.io.File;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import org.voxellens.fiji.install.FijiInstallPlan;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code voxellens fiji-install FIJI_DIR}: the Fiji plugins and the jars they need, without duplicating Fiji's. */
@Command(name = "fiji-install", mixinStandardHelpOptions = true,
    description = "Install the VoxelLens plugins into Fiji: plugins/VoxelLens_.jar and the runtime jars into jars/, "
        + "keeping every library Fiji already ships (any version) and never ImageJ itself. Safe to repeat.")
final class FijiInstallCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "FIJI_DIR", description = "The Fiji.app (or ImageJ) folder, with jars/ and plugins/.")
    Path fiji;
    @Option(names = "--dry-run", description = "Only list what would be copied, kept and skipped.")
    boolean dryRun;
    @Option(names = "--classpath", hidden = true, description = "Jars to install (default: this installation's runtime classpath).")
    String classpath;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        Path plugin = codeLocation();
        List<Path> runtime = Arrays.stream((classpath != null ? classpath : System.getProperty("java.class.path")).split(File.pathSeparator))
            .filter(s -> !s.isBlank()).map(Path::of).toList();
        FijiInstallPlan plan = FijiInstallPlan.of(fiji, plugin, runtime);
        for (FijiInstallPlan.Step s : plan.steps()) out.println(s.describe(plan.fiji()));
        int copies = plan.steps(FijiInstallPlan.Kind.COPY).size();
        int kept = plan.steps(FijiInstallPlan.Kind.KEEP_FIJI).size() + plan.steps(FijiInstallPlan.Kind.CONFLICT).size();
        if (dryRun) {
            out.printf("Dry run: %d files would be copied, %d of Fiji's jars kept; nothing written.%n", copies, kept);
            return 0;
        }
        plan.execute();
        out.printf("Installed into %s: %d files copied, %d already up to date, %d of Fiji's jars kept. Restart Fiji; "
            + "the commands are under Plugins > VoxelLens.%n", plan.fiji(), copies, plan.steps(FijiInstallPlan.Kind.UNCHANGED).size(), kept);
        // Fiji's launcher starts the JVM, so the voxellens launcher's tcmalloc preload does not reach it (README, "Speed").
        Path tcmalloc = Path.of("/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4");
        if (Files.isRegularFile(tcmalloc)) {
            out.printf("For libtorch's large tensors start Fiji with tcmalloc (up to ~2x faster on CPU): LD_PRELOAD=%s %s%n",
                tcmalloc, plan.fiji().resolve("ImageJ-linux64"));
        }
        if (!plan.steps(FijiInstallPlan.Kind.CONFLICT).isEmpty()) {
            spec.commandLine().getErr().println("voxellens: warning: " + plan.steps(FijiInstallPlan.Kind.CONFLICT).size()
                + " libraries differ from Fiji's in major version (listed as CONFLICT above)");
        }
        return 0;
    }

    /** The jar (or, in a development build, the classes folder) these plugins were loaded from. */
    private static Path codeLocation() {
        try {
            return Path.of(FijiInstallCommand.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
