package org.voxellens.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.voxellens.validation.bench.LocalisationBenchmark;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code voxellens validate}: the ground-truth benchmark (every method, every trust score, held-out cases with a
 * known lesion, one table per task) that docs/validation.md reports, reproduced on this machine.
 */
@Command(name = "validate", mixinStandardHelpOptions = true,
    description = "Reproduce the validation tables: every method x every metric on held-out cases with a known lesion, per task.")
final class ValidateCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--quick", description = "3 cases per task and fewer samples.")
    boolean quick;
    @Option(names = "--task", defaultValue = "all",
        description = "phantom-lesion, colin-region, colin-location, colin-seg (comma-separated), or all (default).")
    String task;
    @Option(names = "--method", defaultValue = "all",
        description = "Methods to benchmark (comma-separated), or all (default: every method of explain).")
    String method;
    @Option(names = "--cases", description = "Number of cases per task (default: all 12, or 3 with --quick).")
    Integer cases;
    @Option(names = "--pictures", description = "Also write one PNG per method for each task's first case.")
    boolean pictures;
    @Option(names = "--threads", description = "CPU threads for the engine (default: all cores; on a busy machine 1 can be faster).")
    Integer threads;
    @Option(names = "--out", defaultValue = "results/validation",
        description = "Where the tables go: <task>/benchmark.md and .json, and benchmark.md with all tables (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws IOException {
        LocalisationBenchmark.Options o = quick ? LocalisationBenchmark.Options.quickRun() : LocalisationBenchmark.Options.fullRun();
        if (cases != null) o = o.withCases(cases);
        if (!"all".equals(method)) o = o.withMethods(java.util.Arrays.stream(method.split(",")).map(String::trim).filter(m -> !m.isEmpty()).toList());
        Main.applyThreads(threads);
        java.util.List<String> tasks = LocalisationBenchmark.tasks(task);
        ConsoleProgress progress = new ConsoleProgress(spec.commandLine().getErr(), System.console() != null);
        Path models = Path.of(System.getProperty("voxellens.home", ".")).resolve("models");
        long t0 = System.nanoTime();
        java.util.List<LocalisationBenchmark.Report> r = LocalisationBenchmark.runAll(models, o, tasks, progress);
        progress.endLine();
        java.io.PrintWriter con = spec.commandLine().getOut();
        con.print(LocalisationBenchmark.writeAll(r, out, pictures));
        con.printf(Locale.ROOT, "%n%.1f s; written to %s%n", (System.nanoTime() - t0) / 1e9, out);
        return 0;
    }
}
