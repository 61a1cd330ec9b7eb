package org.voxellens.io.pacs;

import com.pixelmed.dicom.Attribute;
import com.pixelmed.dicom.AttributeList;
import com.pixelmed.dicom.AttributeTag;
import com.pixelmed.dicom.SOPClass;
import com.pixelmed.dicom.SetOfDicomFiles;
import com.pixelmed.dicom.StoredFilePathStrategy;
import com.pixelmed.dicom.TagFromName;
import com.pixelmed.network.FindSOPClassSCU;
import com.pixelmed.network.GetSOPClassSCU;
import com.pixelmed.network.IdentifierHandler;
import com.pixelmed.network.MultipleInstanceTransferStatusHandler;
import com.pixelmed.network.ReceivedObjectHandler;
import com.pixelmed.network.StorageSOPClassSCU;
import com.pixelmed.network.VerificationSOPClassSCU;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.voxellens.io.dicom.out.DicomModules;
import org.voxellens.volumetric.AtomicFiles;

/**
 * DIMSE through PixelMed's SCUs: C-ECHO, C-FIND (study root), C-GET (the PACS sends the series back on our own
 * association, so nothing has to connect to us) and C-STORE. Network failures are retried like DICOMweb's lost
 * connections; refusals (failed C-STORE sub-operations, a rejected association) are not. Patient attributes are
 * never requested in C-FIND identifiers.
 */
public final class DimseClient implements Pacs {

    /** Storage SOP classes offered for C-GET: images VoxelLens reads, and the objects it writes. */
    private static final Set<String> GET_CLASSES = new LinkedHashSet<>(Arrays.asList(
        SOPClass.MRImageStorage, SOPClass.CTImageStorage, SOPClass.EnhancedMRImageStorage,
        SOPClass.EnhancedCTImageStorage, SOPClass.LegacyConvertedEnhancedMRImageStorage,
        SOPClass.LegacyConvertedEnhancedCTImageStorage, SOPClass.PETImageStorage,
        SOPClass.SecondaryCaptureImageStorage, SOPClass.MultiframeGrayscaleWordSecondaryCaptureImageStorage,
        SOPClass.SegmentationStorage, SOPClass.ParametricMapStorage));

    private static final String LOOPBACK = "127.0.0.1";
    private static final long BACKSTOP_MS = 30_000;

    private final PacsConfig.Dimse config;
    private final RetryPolicy retry;

    public DimseClient(PacsConfig.Dimse config, PacsConfig.Retry retry) {
        this.config = config;
        this.retry = new RetryPolicy(retry);
    }

    @Override
    public String echo() throws IOException {
        retry.call("C-ECHO " + peer(), () -> {
            dimse("C-ECHO", (host, port) -> new VerificationSOPClassSCU(host, port, config.calledAet(),
                config.callingAet(), false));
            return null;
        });
        return "DIMSE " + peer() + ": C-ECHO succeeded (as " + config.callingAet() + ")";
    }

    @Override
    public List<StudyRef> findStudies(PacsQuery query) throws IOException {
        AttributeList id = new AttributeList(); // empty values ask the PACS to return the attribute
        DicomModules.put(id, TagFromName.QueryRetrieveLevel, "STUDY");
        DicomModules.put(id, TagFromName.StudyInstanceUID, "");
        DicomModules.put(id, TagFromName.StudyDate, "");
        DicomModules.put(id, TagFromName.StudyDescription, "");
        DicomModules.put(id, TagFromName.ModalitiesInStudy, "");
        DicomModules.put(id, TagFromName.NumberOfStudyRelatedSeries, "");
        for (Map.Entry<String, String> e : query.terms().entrySet()) {
            AttributeTag t = AttributeList.getDictionary().getTagFromName(e.getKey());
            DicomModules.put(id, t, e.getValue());
        }
        List<StudyRef> out = new ArrayList<>();
        for (AttributeList l : find(id)) {
            String uid = value(l, TagFromName.StudyInstanceUID);
            if (uid.isEmpty()) continue;
            String[] mods = Attribute.getStringValues(l, TagFromName.ModalitiesInStudy);
            out.add(new StudyRef(uid, value(l, TagFromName.StudyDate), mods == null ? List.of() : Arrays.asList(mods),
                value(l, TagFromName.StudyDescription), number(l, TagFromName.NumberOfStudyRelatedSeries)));
        }
        return out;
    }

    @Override
    public List<SeriesRef> findSeries(String studyUid) throws IOException {
        AttributeList id = new AttributeList();
        DicomModules.put(id, TagFromName.QueryRetrieveLevel, "SERIES");
        DicomModules.put(id, TagFromName.StudyInstanceUID, studyUid);
        DicomModules.put(id, TagFromName.SeriesInstanceUID, "");
        DicomModules.put(id, TagFromName.Modality, "");
        DicomModules.put(id, TagFromName.SeriesNumber, "");
        DicomModules.put(id, TagFromName.SeriesDescription, "");
        DicomModules.put(id, TagFromName.Manufacturer, "");
        DicomModules.put(id, TagFromName.NumberOfSeriesRelatedInstances, "");
        List<SeriesRef> out = new ArrayList<>();
        for (AttributeList l : find(id)) {
            String uid = value(l, TagFromName.SeriesInstanceUID);
            if (uid.isEmpty()) continue;
            out.add(new SeriesRef(studyUid, uid, value(l, TagFromName.Modality), value(l, TagFromName.SeriesNumber),
                value(l, TagFromName.SeriesDescription), value(l, TagFromName.Manufacturer),
                number(l, TagFromName.NumberOfSeriesRelatedInstances)));
        }
        return out;
    }

    @Override
    public String sopClassUid(String studyUid, String seriesUid) throws IOException {
        AttributeList id = new AttributeList();
        DicomModules.put(id, TagFromName.QueryRetrieveLevel, "IMAGE");
        DicomModules.put(id, TagFromName.StudyInstanceUID, studyUid);
        DicomModules.put(id, TagFromName.SeriesInstanceUID, seriesUid);
        DicomModules.put(id, TagFromName.SOPInstanceUID, "");
        DicomModules.put(id, TagFromName.SOPClassUID, "");
        List<AttributeList> l = find(id);
        return l.isEmpty() ? "" : value(l.get(0), TagFromName.SOPClassUID);
    }

    @Override
    public int retrieveSeries(String studyUid, String seriesUid, Path folder) throws IOException {
        AttributeList id = new AttributeList();
        DicomModules.put(id, TagFromName.QueryRetrieveLevel, "SERIES");
        DicomModules.put(id, TagFromName.StudyInstanceUID, studyUid);
        DicomModules.put(id, TagFromName.SeriesInstanceUID, seriesUid);
        try {
            return retrieveWithRetries(id, seriesUid, folder);
        } catch (IOException | RuntimeException e) {
            // The instances of a failed series are identified source data that nothing will read: gone at once.
            AtomicFiles.deleteTree(folder);
            throw e;
        }
    }

    private int retrieveWithRetries(AttributeList id, String seriesUid, Path folder) throws IOException {
        return retry.call("C-GET " + peer(), () -> {
            AtomicFiles.deleteTree(folder); // a retry starts over
            Files.createDirectories(folder);
            AtomicInteger received = new AtomicInteger();
            dimse("C-GET", (host, port) -> new GetSOPClassSCU(host, port,
                config.calledAet(), config.callingAet(), SOPClass.StudyRootQueryRetrieveInformationModelGet, id,
                new IdentifierHandler(), folder.toFile(), StoredFilePathStrategy.BYSOPINSTANCEUIDINSINGLEFOLDER,
                new ReceivedObjectHandler() {
                    @Override
                    public void sendReceivedObjectIndication(String file, String ts, String callingAet) {
                        received.incrementAndGet();
                    }
                }, GET_CLASSES, true, false, false));
            if (received.get() == 0) {
                throw new PacsException("C-GET " + peer() + ": no instance of series " + seriesUid + " received", 0, false);
            }
            return received.get();
        });
    }

    @Override
    public void store(String studyUid, List<Path> files) throws IOException {
        retry.call("C-STORE " + peer(), () -> {
            SetOfDicomFiles set = new SetOfDicomFiles();
            for (Path f : files) set.add(f.toFile());
            AtomicInteger failed = new AtomicInteger();
            AtomicInteger done = new AtomicInteger();
            dimse("C-STORE", (host, port) -> new StorageSOPClassSCU(host, port, config.calledAet(),
                config.callingAet(), set, 0, new MultipleInstanceTransferStatusHandler() {
                    @Override
                    public void updateStatus(int remaining, int completed, int failures, int warnings, String sop) {
                        failed.set(failures);
                        done.set(completed + warnings);
                    }
                }, 0));
            if (failed.get() > 0 || done.get() < files.size()) {
                throw new PacsException("C-STORE " + peer() + ": " + (files.size() - done.get()) + " of " + files.size()
                    + " instances not stored", 0, failed.get() == 0);
            }
            return null;
        });
    }

    private List<AttributeList> find(AttributeList identifier) throws IOException {
        return retry.call("C-FIND " + peer(), () -> {
            List<AttributeList> out = new ArrayList<>();
            dimse("C-FIND", (host, port) -> new FindSOPClassSCU(host, port, config.calledAet(),
                config.callingAet(), SOPClass.StudyRootQueryRetrieveInformationModelFind, identifier,
                new IdentifierHandler() {
                    @Override
                    public void doSomethingWithIdentifier(AttributeList l) {
                        out.add(l);
                    }
                }));
            return out;
        });
    }

    /** A PixelMed operation, pointed at the relay's address rather than the PACS's. */
    @FunctionalInterface
    private interface Operation<T> {
        T run(String host, int port) throws Exception;
    }

    /**
     * Runs a PixelMed operation through a {@link DimseRelay} under the configured deadlines, turning its exceptions
     * into PacsExceptions: network trouble and stalls may be retried, a rejected association, a refused operation
     * or the whole-operation limit may not.
     */
    private <T> T dimse(String what, Operation<T> op) throws IOException {
        String label = what + " " + peer();
        // The same silence limit applies while waiting for an answer and mid-transfer: DIMSE has no separate phases
        // we can see from the bytes.
        TransferWatch.Limits limits = new TransferWatch.Limits(config.stallTimeout(), "dimse.stall_timeout_s",
            config.stallTimeout(), "dimse.stall_timeout_s", config.timeout(), "dimse.timeout_s");
        try (TransferWatch watch = new TransferWatch(label, limits, TransferWatch.Phase.RECEIVING);
             DimseRelay relay = new DimseRelay(config.host(), config.port(), config.stallTimeout(), watch)) {
            FutureTask<T> task = new FutureTask<>(() -> op.run(LOOPBACK, relay.port()));
            Thread t = new Thread(task, "voxellens-dimse");
            t.setDaemon(true);
            t.start();
            try {
                // The watch ends the association at its deadlines; this wait is only a backstop behind it.
                return task.get(config.timeout().toMillis() + BACKSTOP_MS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new PacsException(label + ": not finished within " + config.timeout().toSeconds()
                    + " s (dimse.timeout_s)", 0, false, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(label + ": interrupted");
            } catch (ExecutionException x) {
                watch.throwIfExpired(); // PixelMed's error is only the consequence of the closed sockets
                IOException up = relay.upstreamFailure();
                if (up != null) throw new PacsException(label + ": " + RetryPolicy.describe(up), 0, true, up);
                throw failure(label, x.getCause());
            } finally {
                // Nothing may still write into the series folder when a retry clears it: the association is closed
                // and PixelMed's thread, which then fails at once, is waited for.
                relay.close();
                joinQuietly(t);
                relay.join(Duration.ofSeconds(5));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(label + ": interrupted");
        }
    }

    private PacsException failure(String label, Throwable e) {
        if (e instanceof com.pixelmed.network.DicomNetworkException) {
            String m = e.getMessage() == null ? "" : e.getMessage().strip().split("\\R", 2)[0];
            boolean rejected = m.toLowerCase(Locale.ROOT).contains("reject");
            return new PacsException(label + ": " + (rejected ? "association rejected (check the AE "
                + "titles in pacs.yaml and that the PACS knows " + config.callingAet() + ")" : m), 0, !rejected, e);
        }
        if (e instanceof IOException) return new PacsException(label + ": " + RetryPolicy.describe(e), 0, true, e);
        return new PacsException(label + ": " + e.getClass().getSimpleName() + " "
            + (e.getMessage() == null ? "" : e.getMessage().strip().split("\\R", 2)[0]), 0, false, e);
    }

    private static void joinQuietly(Thread t) {
        try {
            t.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private String peer() {
        return config.calledAet() + "@" + config.host() + ":" + config.port();
    }

    private static String value(AttributeList l, AttributeTag t) {
        return Attribute.getSingleStringValueOrEmptyString(l, t).strip();
    }

    private static int number(AttributeList l, AttributeTag t) {
        return Attribute.getSingleIntegerValueOrDefault(l, t, -1);
    }

    @Override
    public String toString() {
        return "DIMSE " + peer();
    }
}
