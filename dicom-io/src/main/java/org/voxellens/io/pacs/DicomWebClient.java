package org.voxellens.io.pacs;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.voxellens.volumetric.AtomicFiles;

/**
 * DICOMweb over {@code java.net.http}: QIDO-RS searches (JSON), WADO-RS series retrieval streamed part by part
 * straight into files (memory stays flat whatever the series size), STOW-RS stores streamed from the files.
 * Every request carries the configured Authorization header, has a timeout, and is retried with backoff on 5xx
 * answers and lost connections (never on 4xx). Messages name the URL path and the HTTP status, never credentials.
 */
public final class DicomWebClient implements Pacs {

    private static final String DICOM_JSON = "application/dicom+json";
    private static final int STOW_BATCH = 64;
    static final int QIDO_PAGE = 200;

    private final PacsConfig.DicomWeb config;
    private final RetryPolicy retry;
    private final HttpClient http;

    public DicomWebClient(PacsConfig.DicomWeb config, PacsConfig.Retry retry) throws IOException {
        this.config = config;
        this.retry = new RetryPolicy(retry);
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(config.connectTimeout())
            .followRedirects(HttpClient.Redirect.NEVER);
        // Over plain http the client would offer an h2c upgrade, which servers such as Orthanc's answer by closing
        // the connection; HTTP/2 stays available over https (negotiated by ALPN).
        if ("http".equalsIgnoreCase(config.url().getScheme())) b.version(HttpClient.Version.HTTP_1_1);
        if (config.extraCa() != null) b.sslContext(TrustStores.systemPlus(config.extraCa()));
        this.http = b.build();
    }

    @Override
    public String echo() throws IOException {
        HttpResponse<String> r = retry.call("QIDO-RS " + config.url(), () -> sendString(
            get(config.url() + "/studies?limit=1").header("Accept", DICOM_JSON).build()));
        return "DICOMweb " + config.url() + ": answered HTTP " + r.statusCode() + " (auth " + config.auth() + ")";
    }

    @Override
    public List<StudyRef> findStudies(PacsQuery query) throws IOException {
        StringBuilder q = new StringBuilder("/studies?includefield=00081030&includefield=00201206&includefield=00080061");
        for (Map.Entry<String, String> e : query.terms().entrySet()) {
            q.append('&').append(enc(e.getKey())).append('=').append(enc(e.getValue()));
        }
        // Pages, because many servers cap a search's answer; a server that ignores offset repeats its first page,
        // which ends the loop too.
        Map<String, StudyRef> out = new LinkedHashMap<>();
        for (int offset = 0; ; offset += QIDO_PAGE) {
            List<JsonObject> page = qido(q + "&limit=" + QIDO_PAGE + "&offset=" + offset);
            int added = 0;
            for (JsonObject o : page) {
                String uid = DicomJson.string(o, "0020000D");
                if (uid.isEmpty() || out.containsKey(uid)) continue;
                out.put(uid, new StudyRef(uid, DicomJson.string(o, "00080020"), DicomJson.strings(o, "00080061"),
                    DicomJson.string(o, "00081030"), DicomJson.integer(o, "00201206", -1)));
                added++;
            }
            if (page.size() < QIDO_PAGE || added == 0) break;
        }
        return new ArrayList<>(out.values());
    }

    @Override
    public List<SeriesRef> findSeries(String studyUid) throws IOException {
        List<SeriesRef> out = new ArrayList<>();
        for (JsonObject o : qido("/studies/" + enc(studyUid) + "/series?includefield=0008103E&includefield=00080070"
            + "&includefield=00201209")) {
            String uid = DicomJson.string(o, "0020000E");
            if (uid.isEmpty()) continue;
            out.add(new SeriesRef(studyUid, uid, DicomJson.string(o, "00080060"), DicomJson.string(o, "00200011"),
                DicomJson.string(o, "0008103E"), DicomJson.string(o, "00080070"), DicomJson.integer(o, "00201209", -1)));
        }
        return out;
    }

    @Override
    public String sopClassUid(String studyUid, String seriesUid) throws IOException {
        List<JsonObject> l = qido("/studies/" + enc(studyUid) + "/series/" + enc(seriesUid)
            + "/instances?limit=1&includefield=00080016");
        return l.isEmpty() ? "" : DicomJson.string(l.get(0), "00080016");
    }

    @Override
    public int retrieveSeries(String studyUid, String seriesUid, Path folder) throws IOException {
        String url = config.url() + "/studies/" + enc(studyUid) + "/series/" + enc(seriesUid);
        try {
            return retrieveWithRetries(url, folder);
        } catch (IOException | RuntimeException e) {
            // The parts of a failed series are identified source data that nothing will read: gone at once.
            AtomicFiles.deleteTree(folder);
            throw e;
        }
    }

    private int retrieveWithRetries(String url, Path folder) throws IOException {
        return retry.call("WADO-RS " + path(url), () -> {
            AtomicFiles.deleteTree(folder); // a retry starts over: no half series from the failed attempt
            Files.createDirectories(folder);
            HttpRequest req = get(url).header("Accept", "multipart/related; type=\"application/dicom\"").build();
            try (TransferWatch watch = watch(req, TransferWatch.Phase.AWAITING_ANSWER)) {
                try {
                    HttpResponse<InputStream> r = WatchedHttp.send(http, req, BodyStream.handler(), watch);
                    try (InputStream body = r.body()) {
                        return readSeries(req, r, body, folder);
                    }
                } catch (IOException e) {
                    throw watch.failure(e);
                }
            }
        });
    }

    /** Writes each part of a WADO-RS multipart answer into its own file, atomically. */
    private static int readSeries(HttpRequest req, HttpResponse<InputStream> r, InputStream body, Path folder)
            throws IOException {
        check(req, r.statusCode(), () -> new String(body.readNBytes(2000), StandardCharsets.UTF_8));
        String boundary = MultipartReader.boundary(r.headers().firstValue("Content-Type").orElse(null));
        if (boundary == null) throw new PacsException(what(req) + ": answer is not multipart/related", r.statusCode(), false);
        MultipartReader parts = new MultipartReader(body, boundary);
        int n = 0;
        while (parts.nextPart() != null) {
            Path f = folder.resolve(String.format(Locale.ROOT, "%06d.dcm", ++n));
            AtomicFiles.write(f, tmp -> {
                try (OutputStream o = Files.newOutputStream(tmp)) {
                    parts.copyPart(o);
                }
            });
        }
        if (n == 0) throw new PacsException(what(req) + ": the series has no instances", r.statusCode(), false);
        return n;
    }

    @Override
    public void store(String studyUid, List<Path> files) throws IOException {
        for (int i = 0; i < files.size(); i += STOW_BATCH) {
            List<Path> batch = files.subList(i, Math.min(files.size(), i + STOW_BATCH));
            retry.call("STOW-RS " + config.url(), () -> {
                stow(studyUid, batch);
                return null;
            });
        }
    }

    private void stow(String studyUid, List<Path> files) throws IOException {
        String boundary = "voxellens-" + UUID.randomUUID();
        List<HttpRequest.BodyPublisher> parts = new ArrayList<>();
        for (Path f : files) {
            parts.add(HttpRequest.BodyPublishers.ofString("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n",
                StandardCharsets.ISO_8859_1));
            parts.add(HttpRequest.BodyPublishers.ofFile(f));
            parts.add(HttpRequest.BodyPublishers.ofString("\r\n", StandardCharsets.ISO_8859_1));
        }
        parts.add(HttpRequest.BodyPublishers.ofString("--" + boundary + "--\r\n", StandardCharsets.ISO_8859_1));
        URI uri = URI.create(config.url() + "/studies/" + enc(studyUid));
        HttpRequest req;
        HttpResponse<String> r;
        try (TransferWatch watch = watch("POST " + path(uri.toString()), TransferWatch.Phase.SENDING)) {
            req = request(uri)
                .header("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + boundary)
                .header("Accept", DICOM_JSON)
                .POST(WatchedHttp.counted(HttpRequest.BodyPublishers.concat(
                    parts.toArray(HttpRequest.BodyPublisher[]::new)), watch)).build();
            r = WatchedHttp.send(http, req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8), watch);
            watch.throwIfExpired();
        }
        check(req, r.statusCode(), r::body);
        if (r.body() != null && !r.body().isBlank()) {
            JsonElement e = JsonParser.parseString(r.body());
            JsonObject o = e.isJsonArray() && !e.getAsJsonArray().isEmpty() ? e.getAsJsonArray().get(0).getAsJsonObject()
                : e.isJsonObject() ? e.getAsJsonObject() : null;
            if (o != null && DicomJson.sequenceSize(o, "00081198") > 0) {
                throw new PacsException(what(req) + ": the PACS refused " + DicomJson.sequenceSize(o, "00081198")
                    + " of " + files.size() + " instances (FailedSOPSequence)", r.statusCode(), false);
            }
        }
    }

    private List<JsonObject> qido(String pathAndQuery) throws IOException {
        HttpRequest req = get(config.url() + pathAndQuery).header("Accept", DICOM_JSON).build();
        HttpResponse<String> r = retry.call("QIDO-RS " + path(config.url() + pathAndQuery), () -> sendString(req));
        List<JsonObject> out = new ArrayList<>();
        if (r.statusCode() == 204 || r.body() == null || r.body().isBlank()) return out;
        JsonElement e;
        try {
            e = JsonParser.parseString(r.body());
        } catch (RuntimeException ex) {
            throw new PacsException(what(req) + ": answer is not DICOM JSON", r.statusCode(), false, ex);
        }
        if (!e.isJsonArray()) throw new PacsException(what(req) + ": answer is not a DICOM JSON array", r.statusCode(), false);
        JsonArray a = e.getAsJsonArray();
        for (JsonElement x : a) if (x.isJsonObject()) out.add(x.getAsJsonObject());
        return out;
    }

    private HttpRequest.Builder get(String url) {
        return request(URI.create(url)).GET();
    }

    private HttpRequest.Builder request(URI uri) {
        // The request timeout only covers the wait for the headers; the TransferWatch enforces every deadline and
        // this one is a backstop at the longest of them.
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(config.transferTimeout());
        config.auth().header().ifPresent(h -> b.header("Authorization", h));
        return b;
    }

    private TransferWatch watch(HttpRequest req, TransferWatch.Phase first) {
        return watch(what(req), first);
    }

    private TransferWatch watch(String what, TransferWatch.Phase first) {
        return new TransferWatch(what, new TransferWatch.Limits(
            config.stallTimeout(), "dicomweb.stall_timeout_s", config.readTimeout(), "dicomweb.read_timeout_s",
            config.transferTimeout(), "dicomweb.transfer_timeout_s"), first);
    }

    /** A request whose whole answer is read as text, under the configured deadlines. */
    private HttpResponse<String> sendString(HttpRequest req) throws IOException {
        HttpResponse<String> r;
        try (TransferWatch watch = watch(req, TransferWatch.Phase.AWAITING_ANSWER)) {
            r = WatchedHttp.send(http, req, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8), watch);
            watch.throwIfExpired();
        }
        check(req, r.statusCode(), r::body);
        return r;
    }

    @FunctionalInterface
    private interface Body {
        String get() throws IOException;
    }

    /** 2xx passes; 4xx fails for good; 5xx (and anything else) may be retried. */
    private static void check(HttpRequest req, int status, Body body) throws PacsException {
        if (status >= 200 && status < 300) return;
        String hint = switch (status) {
            case 401 -> " Unauthorized: check dicomweb.auth in pacs.yaml (user, password or token)";
            case 403 -> " Forbidden: the account may not do this";
            case 404 -> " Not Found";
            default -> "";
        };
        String detail = "";
        try {
            String b = body.get();
            // Server messages can echo request content; keep the first line, short, and only for server errors.
            if (status >= 500 && b != null && !b.isBlank()) detail = " (" + b.strip().split("\\R", 2)[0] + ")";
            if (detail.length() > 200) detail = detail.substring(0, 200) + "...)";
        } catch (IOException ignored) {
            // the status says enough
        }
        boolean client = status >= 400 && status < 500;
        throw new PacsException(what(req) + ": HTTP " + status + hint + detail, status, !client);
    }

    private static String what(HttpRequest req) {
        return req.method() + " " + path(req.uri().toString());
    }

    /** The URL without its query string (which may hold search values). */
    private static String path(String url) {
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return "DICOMweb " + config.url();
    }
}
