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
 * known lesion) that docs/validation.md reports, reproduced on this machine.
 */
@Command(name = "validate", mixinStandardHelpOptions = true,
    description = "Reproduce the validation table: every method x every metric on held-out cases with a known lesion.")
final class ValidateCommand implements Callable<Integer> {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--quick", description = "4 cases and fewer samples (about 2 minutes on 2 cores).")
    boolean quick;
    @Option(names = "--cases", description = "Number of cases (default: all 12, or 4 with --quick).")
    Integer cases;
    @Option(names = "--out", defaultValue = "results/validation", description = "Where benchmark.md and benchmark.json go (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws IOException {
        LocalisationBenchmark.Options o = quick ? LocalisationBenchmark.Options.quickRun() : LocalisationBenchmark.Options.fullRun();
        if (cases != null) o = o.withCases(cases);
        ConsoleProgress progress = new ConsoleProgress(spec.commandLine().getErr(), System.console() != null);
        Path models = Path.of(System.getProperty("voxellens.home", ".")).resolve("models");
        LocalisationBenchmark.Report r = LocalisationBenchmark.run(models, o, progress);
        progress.endLine();
        r.write(out);
        java.io.PrintWriter con = spec.commandLine().getOut();
        con.print(r.toMarkdown());
        con.printf(Locale.ROOT, "%n%.1f s; written to %s%n", r.seconds(), out);
        return 0;
    }
}
