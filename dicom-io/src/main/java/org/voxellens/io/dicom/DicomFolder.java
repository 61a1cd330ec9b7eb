package org.voxellens.io.dicom;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The DICOM images under a folder (searched recursively) or in one file, grouped by study and series.
 *
 * <p>Files that are not DICOM (no "DICM" marker and no plausible first element) are ignored silently; DICOM
 * objects that are not images (SR, RT plans, DICOMDIR) are ignored too. A file that looks like DICOM but cannot be
 * parsed is skipped with a warning naming it (see {@link #warnings()}): the series it may have belonged to is
 * still listed, and {@link DicomSeriesReader} loads it only if the remaining images form a complete, evenly
 * spaced stack, adding that warning to the result.
 */
public final class DicomFolder {

    private final Path root;
    private final Map<String, List<DicomFiles.Header>> byKey;
    private final List<SeriesSummary> series;
    private final List<String> warnings;

    private DicomFolder(Path root, Map<String, List<DicomFiles.Header>> byKey, List<String> warnings) {
        this.root = root;
        this.byKey = byKey;
        this.warnings = List.copyOf(warnings);
        List<SeriesSummary> s = new ArrayList<>();
        for (List<DicomFiles.Header> hs : byKey.values()) s.add(summarise(hs));
        this.series = List.copyOf(s);
    }

    /** Scans a folder (recursively) or a single file. */
    public static DicomFolder scan(Path path) throws DicomException {
        if (!Files.exists(path)) throw new DicomException(path, "no such file or folder");
        List<Path> files;
        if (Files.isDirectory(path)) {
            try (Stream<Path> walk = Files.walk(path)) {
                files = walk.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted().collect(Collectors.toList());
            } catch (IOException | RuntimeException e) {
                throw new DicomException(path, "cannot list the folder (" + DicomFiles.reason(e) + ")", e);
            }
        } else {
            files = List.of(path);
        }
        Map<String, List<DicomFiles.Header>> byKey = new LinkedHashMap<>();
        List<String> warnings = new ArrayList<>();
        int notDicom = 0;
        for (Path f : files) {
            Kind kind = sniff(f);
            if (kind == Kind.NOT_DICOM) {
                notDicom++;
                if (!Files.isDirectory(path)) throw new DicomException(f, "not a DICOM file");
                continue;
            }
            DicomFiles.Header h;
            try {
                h = DicomFiles.readHeader(f);
            } catch (DicomException e) {
                if (!Files.isDirectory(path)) throw e;
                if (kind == Kind.MAYBE) {
                    notDicom++;
                } else {
                    warnings.add(e.getMessage() + "; skipped");
                }
                continue;
            }
            if (h == null) continue; // DICOM, but not an image
            byKey.computeIfAbsent(h.studyUid() + "\u0000" + h.seriesUid(), k -> new ArrayList<>()).add(h);
        }
        if (byKey.isEmpty()) {
            throw new DicomException(path, "no DICOM images found" + (notDicom > 0 ? " (" + notDicom
                + " file" + (notDicom == 1 ? " is" : "s are") + " not DICOM)" : "")
                + (warnings.isEmpty() ? "" : "; " + warnings.size() + " unreadable: " + warnings.get(0)));
        }
        return new DicomFolder(path, byKey, warnings);
    }

    /** The series under {@code path}, largest first within each study, for {@code voxellens series}. */
    public static List<SeriesSummary> list(Path path) throws DicomException {
        return scan(path).series();
    }

    public Path root() {
        return root;
    }

    /** Every series found, in the order of their first file. */
    public List<SeriesSummary> series() {
        return series;
    }

    /** One line per file that looked like DICOM but could not be read (file name and problem). */
    public List<String> warnings() {
        return warnings;
    }

    /** A chosen series and, when it was chosen by default, the message saying which. */
    public record Selection(SeriesSummary series, String message) {
    }

    /**
     * Picks a series: by SeriesInstanceUID, or by Series Number; null or blank picks the largest 3D series (most
     * voxels; else the largest series) and says so in {@link Selection#message()}.
     */
    public Selection select(String selector) throws DicomException {
        if (selector == null || selector.isBlank()) {
            if (series.size() == 1) return new Selection(series.get(0), null);
            SeriesSummary best = series.stream()
                .max(Comparator.comparing(SeriesSummary::volumetric).thenComparingLong(SeriesSummary::voxelCount))
                .orElseThrow();
            String msg = series.size() + " series found in " + root + "; using " + best.displayName() + " (UID "
                + best.seriesInstanceUid() + ", " + best.imageCount() + " images, " + best.dimensions() + "), the "
                + (best.volumetric() ? "largest 3D series" : "largest series (none is a 3D volume)")
                + "; choose another by its SeriesInstanceUID or Series Number";
            return new Selection(best, msg);
        }
        String s = selector.strip();
        for (SeriesSummary x : series) if (x.seriesInstanceUid().equals(s)) return new Selection(x, null);
        List<SeriesSummary> byNumber = new ArrayList<>();
        for (SeriesSummary x : series) {
            if (!x.seriesNumber().isEmpty() && sameNumber(x.seriesNumber(), s)) byNumber.add(x);
        }
        if (byNumber.size() == 1) return new Selection(byNumber.get(0), null);
        if (byNumber.size() > 1) {
            throw new DicomException(root, "Series Number " + s + " is ambiguous (" + byNumber.size()
                + " series have it: " + byNumber.stream().map(SeriesSummary::seriesInstanceUid)
                .collect(Collectors.joining(", ")) + "); choose by SeriesInstanceUID");
        }
        throw new DicomException(root, "no series with SeriesInstanceUID or Series Number '" + s + "'; available: "
            + series.stream().map(x -> (x.seriesNumber().isEmpty() ? "" : x.seriesNumber() + " = ")
            + x.seriesInstanceUid()).collect(Collectors.joining(", ")));
    }

    /** The headers of a series' images (package-private: the reader's input). */
    List<DicomFiles.Header> headers(SeriesSummary s) {
        List<DicomFiles.Header> hs = byKey.get(s.studyInstanceUid() + "\u0000" + s.seriesInstanceUid());
        if (hs == null) throw new IllegalArgumentException("series not from this folder: " + s);
        return hs;
    }

    private static boolean sameNumber(String a, String b) {
        try {
            return Long.parseLong(a.strip()) == Long.parseLong(b.strip());
        } catch (NumberFormatException e) {
            return a.strip().equals(b.strip());
        }
    }

    private static SeriesSummary summarise(List<DicomFiles.Header> hs) {
        DicomFiles.Header h0 = hs.get(0);
        int frames = 0;
        boolean positioned = true;
        double[] o0 = null;
        TreeSet<String> ts = new TreeSet<>();
        for (DicomFiles.Header h : hs) {
            frames += h.frames();
            ts.add(h.transferSyntax());
            for (DicomFiles.Plane p : h.planes()) {
                if (p.position() == null || p.orientation() == null) {
                    positioned = false;
                    continue;
                }
                if (o0 == null) o0 = p.orientation();
                for (int i = 0; i < 6; i++) if (Math.abs(p.orientation()[i] - o0[i]) > 1e-3) positioned = false;
            }
        }
        return new SeriesSummary(h0.studyUid(), h0.seriesUid(), h0.seriesNumber(), h0.modality(),
            h0.seriesDescription(), h0.sopClassUid(), hs.size(), frames, h0.rows(), h0.columns(),
            positioned && frames >= 2, List.copyOf(ts));
    }

    private enum Kind { DICOM, MAYBE, NOT_DICOM }

    /** "DICM" at 128 is DICOM; a plausible first tag (group 0002 or 0008, either byte order) may be; else not. */
    private static Kind sniff(Path f) {
        byte[] b = new byte[132];
        int n = 0;
        try (InputStream in = Files.newInputStream(f)) {
            while (n < b.length) {
                int r = in.read(b, n, b.length - n);
                if (r < 0) break;
                n += r;
            }
        } catch (IOException e) {
            return Kind.MAYBE;
        }
        if (n >= 132 && b[128] == 'D' && b[129] == 'I' && b[130] == 'C' && b[131] == 'M') return Kind.DICOM;
        if (n >= 8) {
            int le = (b[0] & 0xff) | (b[1] & 0xff) << 8;
            int be = (b[1] & 0xff) | (b[0] & 0xff) << 8;
            if (le == 0x0002 || le == 0x0008 || be == 0x0002 || be == 0x0008) return Kind.MAYBE;
        }
        return Kind.NOT_DICOM;
    }
}
