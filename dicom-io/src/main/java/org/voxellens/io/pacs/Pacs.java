package org.voxellens.io.pacs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What the research workflow needs from a PACS, whatever the transport (DICOMweb or DIMSE): check the connection,
 * search studies and their series, fetch one series into a folder, store result files. Records returned hold UIDs
 * and technical facts only, never patient attributes.
 */
public interface Pacs extends AutoCloseable {

    /** A one-line description of the server reached (C-ECHO, or the DICOMweb root answering an authenticated search). */
    String echo() throws IOException;

    /** Studies matching the query. */
    List<StudyRef> findStudies(PacsQuery query) throws IOException;

    /** The series of one study. */
    List<SeriesRef> findSeries(String studyInstanceUid) throws IOException;

    /** The SOP Class UID of the series' first instance (tells an image series from a result object). */
    String sopClassUid(String studyInstanceUid, String seriesInstanceUid) throws IOException;

    /** Writes every instance of the series into {@code folder} (created); returns the number of files written. */
    int retrieveSeries(String studyInstanceUid, String seriesInstanceUid, Path folder) throws IOException;

    /** Stores the files (all of one study) in the PACS. */
    void store(String studyInstanceUid, List<Path> files) throws IOException;

    @Override
    default void close() throws IOException {
    }

    /** Opens the transport the configuration names. */
    static Pacs open(PacsConfig config) throws IOException {
        return config.transport() == PacsConfig.Transport.DIMSE ? new DimseClient(config.dimse(), config.retry())
            : new DicomWebClient(config.dicomWeb(), config.retry());
    }
}
