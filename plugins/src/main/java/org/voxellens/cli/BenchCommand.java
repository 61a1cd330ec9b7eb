package org.voxellens.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.voxellens.validation.perf.Bench;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code voxellens bench}: every method at several input sizes on the bundled models, against the same methods in
 * plain PyTorch on the same TorchScript files in the same run (docs/performance.md). Runs before any other engine
 * use in this process, so its thread settings take effect.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Time every method against a plain-PyTorch reference (same model file, batch size and threads).",
        "Options: --quick, --sizes 64,96,128, --threads N, --batch B, --samples N, --steps N, --warmup N, --repeats N,",
        "--models demo-classifier,demo-segmenter, --methods ..., --no-python, --no-glibc-reference,",
        "--python /usr/bin/python3, --out FILE.md. Default: 64³, 96³ and 128³, both models, every method (over an hour",
        "on 2 cores; --quick: 64³ only)."})
final class BenchCommand implements Callable<Integer> {

    @CommandLine.Unmatched
    List<String> args = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        List<String> a = new ArrayList<>(args);
        if (!a.contains("--root")) {
            a.add("--root");
            a.add(System.getProperty("voxellens.home", "."));
        }
        Bench.main(a.toArray(String[]::new));
        return 0;
    }
}
