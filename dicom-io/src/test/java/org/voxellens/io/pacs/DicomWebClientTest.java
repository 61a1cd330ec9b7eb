package org.voxellens.io.pacs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DICOMweb client's HTTP behaviour against a tiny loopback server that injects faults (503s, 4xx, a connection
 * cut mid-body): retries with backoff on 5xx and lost connections, none on 4xx, the Authorization header sent and
 * never printed, WADO-RS multipart bodies streamed into files byte for byte, STOW-RS bodies a multipart parser
 * reads back. The end-to-end behaviour against a real PACS is in the plugins module's PacsOrthancTest.
 */
class DicomWebClientTest {

    private static final String STUDY_JSON = "[{\"0020000D\":{\"vr\":\"UI\",\"Value\":[\"1.2.3.4\"]},"
        + "\"00080020\":{\"vr\":\"DA\",\"Value\":[\"20260101\"]},\"00080061\":{\"vr\":\"CS\",\"Value\":[\"MR\",\"SEG\"]},"
        + "\"00201206\":{\"vr\":\"IS\",\"Value\":[3]}}]";

    @TempDir
    Path tmp;
    private HttpServer server;
    private final List<String> authHeaders = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() {
        if (server != null) server.stop(0);
    }

    @FunctionalInterface
    interface Handler {
        void handle(HttpExchange ex, int request) throws IOException;
    }

    private AtomicInteger serve(Handler h) throws IOException {
        AtomicInteger n = new AtomicInteger();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", ex -> {
            authHeaders.add(String.valueOf(ex.getRequestHeaders().getFirst("Authorization")));
            try {
                h.handle(ex, n.incrementAndGet());
            } finally {
                ex.close();
            }
        });
        // A thread per exchange: a handler that hangs must not hold back the retry's request.
        server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "fault-server");
            t.setDaemon(true);
            return t;
        }));
        server.start();
        return n;
    }

    private DicomWebClient client(Auth auth, int retries) throws IOException {
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/dicom-web";
        return new DicomWebClient(new PacsConfig.DicomWeb(java.net.URI.create(url), auth, null,
            java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(10)),
            new PacsConfig.Retry(retries, java.time.Duration.ofMillis(20)));
    }

    private static void reply(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        if (type != null) ex.getResponseHeaders().add("Content-Type", type);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) ex.getResponseBody().write(body);
    }

    @Test
    void serverErrorsAreRetriedWithBackoffUntilTheAnswerComes() throws Exception {
        AtomicInteger n = serve((ex, i) -> {
            if (i <= 2) reply(ex, 503, "text/plain", "busy".getBytes());
            else reply(ex, 200, "application/dicom+json", STUDY_JSON.getBytes());
        });
        List<StudyRef> s = client(Auth.basic("alice", "s3cret"), 3).findStudies(PacsQuery.parse("Modality=MR"));
        assertEquals(3, n.get(), "two 503s, then 200");
        assertEquals(1, s.size());
        assertEquals("1.2.3.4", s.get(0).studyInstanceUid());
        assertEquals(List.of("MR", "SEG"), s.get(0).modalities());
        assertEquals(3, s.get(0).seriesCount());
        String expected = "Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8));
        for (String h : authHeaders) assertEquals(expected, h, "every attempt authenticated");
    }

    @Test
    void retriesAreBoundedAndTheMessageSaysSo() throws Exception {
        AtomicInteger n = serve((ex, i) -> reply(ex, 502, "text/plain", "bad gateway".getBytes()));
        PacsException e = assertThrows(PacsException.class, () -> client(Auth.none(), 2).echo());
        assertEquals(3, n.get(), "first try + 2 retries");
        assertEquals(502, e.status());
        assertTrue(e.getMessage().contains("HTTP 502") && e.getMessage().contains("gave up after 3 attempts"), e.getMessage());
    }

    @Test
    void clientErrorsAreNotRetriedAndNeverShowTheSecret() throws Exception {
        AtomicInteger n = serve((ex, i) -> reply(ex, 401, "text/plain", "no".getBytes()));
        PacsException e = assertThrows(PacsException.class,
            () -> client(Auth.basic("alice", "wrong-pass"), 5).findStudies(PacsQuery.all()));
        assertEquals(1, n.get(), "a 401 is not repeated");
        assertTrue(e.authentication());
        assertTrue(e.getMessage().contains("HTTP 401 Unauthorized") && e.getMessage().contains("dicomweb.auth"), e.getMessage());
        assertFalse(e.getMessage().contains("wrong-pass"));
        assertFalse(e.getMessage().contains(Base64.getEncoder().encodeToString("alice:wrong-pass".getBytes())));

        server.stop(0);
        n = serve((ex, i) -> reply(ex, 404, "text/plain", new byte[0]));
        assertThrows(PacsException.class, () -> client(Auth.bearer("tok"), 5).findSeries("1.2"));
        assertEquals(1, n.get(), "a 404 is not repeated");
        assertEquals("Bearer tok", authHeaders.get(authHeaders.size() - 1));
    }

    @Test
    void aRefusedConnectionIsRetriedThenReportedInWords() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        DicomWebClient c = new DicomWebClient(new PacsConfig.DicomWeb(java.net.URI.create("http://127.0.0.1:" + port + "/dw"),
            Auth.none(), null, java.time.Duration.ofSeconds(2), java.time.Duration.ofSeconds(5)),
            new PacsConfig.Retry(2, java.time.Duration.ofMillis(10)));
        PacsException e = assertThrows(PacsException.class, c::echo);
        assertTrue(e.retryable());
        assertTrue(e.getMessage().contains("connection refused") && e.getMessage().contains("3 attempts"), e.getMessage());
    }

    @Test
    void wadoSeriesIsStreamedIntoFilesByteForByteAndACutConnectionStartsOver() throws Exception {
        Random rnd = new Random(7);
        String boundary = "b0undary-xyz";
        List<byte[]> parts = new ArrayList<>();
        for (int size : new int[] {1, 200_000, 65_536 + 17, 70_000}) {
            byte[] b = new byte[size];
            rnd.nextBytes(b);
            // boundary look-alikes inside the data must not end a part
            byte[] fake = ("\r\n--" + boundary.substring(0, 5)).getBytes(StandardCharsets.ISO_8859_1);
            if (size > 1000) System.arraycopy(fake, 0, b, size / 2, fake.length);
            parts.add(b);
        }
        byte[] body = multipart(boundary, parts);
        AtomicInteger n = serve((ex, i) -> {
            ex.getResponseHeaders().add("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=\"" + boundary + "\"");
            if (i == 1) { // the connection drops after a third of the body
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body, 0, body.length / 3);
                ex.getResponseBody().flush();
                throw new IOException("cut");
            }
            reply(ex, 200, null, body);
        });
        Path folder = tmp.resolve("series");
        int count = client(Auth.none(), 2).retrieveSeries("1.2", "1.2.3", folder);
        assertEquals(2, n.get(), "the cut attempt, then a full one");
        assertEquals(parts.size(), count);
        List<Path> files;
        try (Stream<Path> s = Files.list(folder)) {
            files = s.sorted().toList();
        }
        assertEquals(parts.size(), files.size(), "no leftovers of the cut attempt: " + files);
        for (int i = 0; i < parts.size(); i++) assertArrayEquals(parts.get(i), Files.readAllBytes(files.get(i)), "part " + i);
    }

    @Test
    void stowSendsEveryFileAsOnePartOfAMultipartBody() throws Exception {
        List<byte[]> received = new CopyOnWriteArrayList<>();
        List<String> contentTypes = new CopyOnWriteArrayList<>();
        serve((ex, i) -> {
            String ct = ex.getRequestHeaders().getFirst("Content-Type");
            contentTypes.add(ct);
            MultipartReader r = new MultipartReader(ex.getRequestBody(), MultipartReader.boundary(ct));
            Map<String, String> h;
            while ((h = r.nextPart()) != null) {
                assertEquals("application/dicom", h.get("content-type"));
                ByteArrayOutputStream b = new ByteArrayOutputStream();
                r.copyPart(b);
                received.add(b.toByteArray());
            }
            reply(ex, 200, "application/dicom+json", "{}".getBytes());
        });
        List<Path> files = new ArrayList<>();
        Random rnd = new Random(3);
        for (int i = 0; i < 3; i++) {
            byte[] b = new byte[1000 + 50_000 * i];
            rnd.nextBytes(b);
            Path f = tmp.resolve(i + ".dcm");
            Files.write(f, b);
            files.add(f);
        }
        client(Auth.none(), 0).store("1.2", files);
        assertEquals(3, received.size());
        for (int i = 0; i < 3; i++) assertArrayEquals(Files.readAllBytes(files.get(i)), received.get(i));
        assertTrue(contentTypes.get(0).startsWith("multipart/related; type=\"application/dicom\""), contentTypes.get(0));
    }

    @Test
    void aStoreThePacsRefusesIsAnErrorNotRetried() throws Exception {
        AtomicInteger n = serve((ex, i) -> {
            ex.getRequestBody().readAllBytes();
            reply(ex, 200, "application/dicom+json",
                "{\"00081198\":{\"vr\":\"SQ\",\"Value\":[{\"00081155\":{\"vr\":\"UI\",\"Value\":[\"1.2.3\"]}}]}}".getBytes());
        });
        Path f = tmp.resolve("x.dcm");
        Files.write(f, new byte[] {1, 2, 3});
        PacsException e = assertThrows(PacsException.class, () -> client(Auth.none(), 3).store("1.2", List.of(f)));
        assertEquals(1, n.get());
        assertTrue(e.getMessage().contains("refused 1 of 1"), e.getMessage());
    }

    @Test
    void searchesArePagedAndAServerIgnoringOffsetDoesNotLoop() throws Exception {
        List<String> queries = new CopyOnWriteArrayList<>();
        serve((ex, i) -> {
            String q = ex.getRequestURI().getQuery();
            queries.add(q);
            int offset = q.contains("offset=200") ? 200 : 0;
            int n = offset == 0 ? DicomWebClient.QIDO_PAGE : 3;
            reply(ex, 200, "application/dicom+json", studies(offset, n).getBytes());
        });
        List<StudyRef> all = client(Auth.none(), 0).findStudies(PacsQuery.parse("StudyDate=2026"));
        assertEquals(DicomWebClient.QIDO_PAGE + 3, all.size());
        assertEquals(2, queries.size());
        assertTrue(queries.get(0).contains("StudyDate=2026") && queries.get(0).contains("limit=" + DicomWebClient.QIDO_PAGE), queries.get(0));

        server.stop(0);
        AtomicInteger n = serve((ex, i) -> reply(ex, 200, "application/dicom+json", studies(0, DicomWebClient.QIDO_PAGE).getBytes()));
        assertEquals(DicomWebClient.QIDO_PAGE, client(Auth.none(), 0).findStudies(PacsQuery.all()).size());
        assertEquals(2, n.get(), "the repeated page ends the search");
    }

    // ---- deadlines: a PACS that stops sending, never answers, stops reading, or is too slow overall ----

    private DicomWebClient client(int retries, double readS, double stallS, double transferS) {
        String url = "http://127.0.0.1:" + server.getAddress().getPort() + "/dicom-web";
        try {
            return new DicomWebClient(new PacsConfig.DicomWeb(java.net.URI.create(url), Auth.none(), null,
                java.time.Duration.ofSeconds(2), ms(readS), ms(stallS), ms(transferS)),
                new PacsConfig.Retry(retries, java.time.Duration.ofMillis(20)));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private static java.time.Duration ms(double s) {
        return java.time.Duration.ofMillis((long) (s * 1000));
    }

    /** Sleeps until the test ends (the server is stopped), as a stalled PACS does. */
    private static void hang() {
        try {
            Thread.sleep(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static final String BOUNDARY = "stall-boundary";

    private static void startSeries(HttpExchange ex, byte[] body, int upTo) throws IOException {
        ex.getResponseHeaders().add("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + BOUNDARY);
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body, 0, upTo);
        ex.getResponseBody().flush();
    }

    private static byte[] series(int parts, int size) throws IOException {
        List<byte[]> l = new ArrayList<>();
        Random rnd = new Random(11);
        for (int i = 0; i < parts; i++) {
            byte[] b = new byte[size];
            rnd.nextBytes(b);
            l.add(b);
        }
        return multipart(BOUNDARY, l);
    }

    @Test
    void aWadoBodyThatStallsMidwayFailsAfterTheStallLimitOnEveryAttemptAndLeavesNoFiles() throws Exception {
        byte[] body = series(9, 1 << 20);
        AtomicInteger n = serve((ex, i) -> {
            startSeries(ex, body, body.length / 3); // a third of the body, then silence
            hang();
        });
        Path folder = tmp.resolve("series");
        long t0 = System.nanoTime();
        PacsException e = assertThrows(PacsException.class, () -> client(1, 5, 1, 60).retrieveSeries("1.2", "1.2.3", folder));
        double took = (System.nanoTime() - t0) / 1e9;
        assertEquals(2, n.get(), "a stall may be transient: retried once, as configured");
        assertTrue(e.getMessage().contains("no data for 1 s (dicomweb.stall_timeout_s)")
            && e.getMessage().contains("after 3.0 MB") && e.getMessage().contains("gave up after 2 attempts"), e.getMessage());
        assertTrue(e.getMessage().contains("/studies/1.2/series/1.2.3") && !e.getMessage().contains("Exception"), e.getMessage());
        // two stalls of 1 s each plus the watchdog's granularity; without the deadline this never returns
        assertTrue(took < 20, "took " + took + " s");
        assertTrue(!Files.exists(folder) || listing(folder).stream().noneMatch(f -> f.toString().endsWith(".dcm")),
            "complete parts of the stalled attempt are not reported as a series: " + listing(folder));
    }

    @Test
    void aServerThatNeverAnswersFailsAfterTheReadLimit() throws Exception {
        AtomicInteger n = serve((ex, i) -> hang());
        PacsException e = assertThrows(PacsException.class, () -> client(0, 1, 30, 60).findSeries("1.2"));
        assertEquals(1, n.get());
        assertTrue(e.retryable());
        assertTrue(e.getMessage().contains("no answer within 1 s (dicomweb.read_timeout_s)"), e.getMessage());
    }

    @Test
    void aSlowButSteadyBodyIsNotAStallButTheWholeTransferLimitHoldsAndIsNotRetried() throws Exception {
        byte[] body = series(3, 40_000);
        Handler trickle = (ex, i) -> {
            startSeries(ex, body, 0);
            for (int off = 0; off < body.length; off += 4000) {
                ex.getResponseBody().write(body, off, Math.min(4000, body.length - off));
                ex.getResponseBody().flush();
                try {
                    Thread.sleep(100); // 30 chunks over 3 s, never silent for the 1 s stall limit
                } catch (InterruptedException x) {
                    return;
                }
            }
        };
        serve(trickle);
        assertEquals(3, client(0, 5, 1, 60).retrieveSeries("1.2", "1.2.3", tmp.resolve("ok")), "slow but steady passes");

        server.stop(0);
        AtomicInteger n = serve(trickle);
        PacsException e = assertThrows(PacsException.class,
            () -> client(3, 5, 1, 1.5).retrieveSeries("1.2", "1.2.3", tmp.resolve("late")));
        assertEquals(1, n.get(), "a retry would take as long again");
        assertFalse(e.retryable());
        assertTrue(e.getMessage().contains("not finished within 1.5 s (dicomweb.transfer_timeout_s)"), e.getMessage());
    }

    @Test
    void aPacsThatStopsReadingAStoreFailsAfterTheStallLimit() throws Exception {
        // A raw socket that accepts and never reads: the client's send buffer fills and the upload stops.
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Thread acceptor = new Thread(() -> {
                try (java.net.Socket c = s.accept()) {
                    c.setReceiveBufferSize(4096);
                    hang();
                } catch (IOException ignored) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            Path f = tmp.resolve("big.dcm");
            byte[] b = new byte[64 << 20];
            new Random(5).nextBytes(b);
            Files.write(f, b);
            DicomWebClient c = new DicomWebClient(new PacsConfig.DicomWeb(
                java.net.URI.create("http://127.0.0.1:" + s.getLocalPort() + "/dw"), Auth.none(), null,
                java.time.Duration.ofSeconds(2), ms(30), ms(1), ms(60)), new PacsConfig.Retry(0, ms(0.01)));
            long t0 = System.nanoTime();
            PacsException e = assertThrows(PacsException.class, () -> c.store("1.2", List.of(f)));
            assertTrue(e.getMessage().contains("the PACS stopped taking data for 1 s (dicomweb.stall_timeout_s)"),
                e.getMessage());
            assertTrue((System.nanoTime() - t0) / 1e9 < 20);
            acceptor.interrupt();
        }
    }

    @Test
    void anInterruptStopsAStalledTransferAtOnceAndIsNotRetried() throws Exception {
        byte[] body = series(3, 1 << 20);
        AtomicInteger n = serve((ex, i) -> {
            startSeries(ex, body, body.length / 2);
            hang();
        });
        java.util.concurrent.atomic.AtomicReference<Throwable> thrown = new java.util.concurrent.atomic.AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                client(3, 60, 60, 600).retrieveSeries("1.2", "1.2.3", tmp.resolve("s"));
            } catch (Throwable x) {
                thrown.set(x);
            }
        });
        t.start();
        while (n.get() == 0) Thread.sleep(20);
        Thread.sleep(300);
        t.interrupt();
        t.join(5000);
        assertFalse(t.isAlive(), () -> "the interrupted transfer is still blocked: "
            + java.util.Arrays.toString(t.getStackTrace()));
        assertTrue(thrown.get() instanceof java.io.InterruptedIOException, String.valueOf(thrown.get()));
        assertEquals(1, n.get(), "an interrupt is not retried");
    }

    private static List<Path> listing(Path dir) throws IOException {
        if (!Files.exists(dir)) return List.of();
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).toList();
        }
    }

    private static String studies(int from, int n) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            if (i > 0) b.append(',');
            b.append("{\"0020000D\":{\"vr\":\"UI\",\"Value\":[\"1.2.").append(from + i + 1).append("\"]}}");
        }
        return b.append(']').toString();
    }

    static byte[] multipart(String boundary, List<byte[]> parts) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write("preamble to ignore\r\n".getBytes(StandardCharsets.ISO_8859_1));
        for (byte[] p : parts) {
            b.write(("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            b.write(p);
            b.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
        }
        b.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1));
        return b.toByteArray();
    }
}
