package org.voxellens.io.pacs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * DIMSE deadlines against loopback peers that misbehave at the TCP level: one that takes the association request
 * and never answers, one that answers nothing at all. PixelMed's own sockets have no timeouts; the relay's watch
 * must end each exchange. (Real associations through the relay run against Orthanc in plugins' PACS tests.)
 */
class DimseClientTest {

    @TempDir
    Path tmp;

    private ServerSocket server;

    @AfterEach
    void stop() throws IOException {
        if (server != null) server.close();
    }

    /** A peer that reads whatever it is sent and never writes a byte; counts connections. */
    private AtomicInteger silentPeer() throws IOException {
        server = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
        AtomicInteger n = new AtomicInteger();
        Thread t = new Thread(() -> {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    n.incrementAndGet();
                    Thread r = new Thread(() -> {
                        try (s; InputStream in = s.getInputStream()) {
                            in.transferTo(java.io.OutputStream.nullOutputStream());
                        } catch (IOException ignored) {
                            // the client gave up: that is the point
                        }
                    });
                    r.setDaemon(true);
                    r.start();
                } catch (IOException e) {
                    return;
                }
            }
        });
        t.setDaemon(true);
        t.start();
        return n;
    }

    private static DimseClient client(int port, double stallS, double wholeS, int retries) {
        return new DimseClient(new PacsConfig.Dimse("VL_TEST", "SILENT", "127.0.0.1", port, "get",
            Duration.ofMillis((long) (wholeS * 1000)), Duration.ofMillis((long) (stallS * 1000))),
            new PacsConfig.Retry(retries, Duration.ofMillis(10)));
    }

    @Test
    void aPeerThatNeverAnswersTheAssociationFailsAfterTheStallLimitOnEveryAttempt() throws Exception {
        AtomicInteger n = silentPeer();
        long t0 = System.nanoTime();
        PacsException e = assertThrows(PacsException.class, () -> client(server.getLocalPort(), 1, 600, 1).echo());
        double took = (System.nanoTime() - t0) / 1e9;
        assertEquals(2, n.get(), "a stall may be transient: retried once, as configured");
        assertTrue(e.getMessage().contains("C-ECHO SILENT@127.0.0.1:" + server.getLocalPort())
            && e.getMessage().contains("no data for 1 s (dimse.stall_timeout_s)")
            && e.getMessage().contains("gave up after 2 attempts"), e.getMessage());
        assertFalse(e.getMessage().contains("Exception"), e.getMessage());
        assertTrue(took < 15, "took " + took + " s; without the watch PixelMed waits forever");
    }

    @Test
    void theWholeOperationLimitIsNotRetried() throws Exception {
        AtomicInteger n = silentPeer();
        PacsException e = assertThrows(PacsException.class,
            () -> client(server.getLocalPort(), 30, 1.5, 3).findSeries("1.2.3"));
        assertEquals(1, n.get(), "a retry would take as long again");
        assertFalse(e.retryable());
        assertTrue(e.getMessage().contains("not finished within 1.5 s (dimse.timeout_s)"), e.getMessage());
    }

    @Test
    void aRefusedConnectionIsNamedAndRetried() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        int p = port;
        PacsException e = assertThrows(PacsException.class, () -> client(p, 5, 60, 1).echo());
        assertTrue(e.getMessage().contains("C-ECHO SILENT@127.0.0.1:" + port)
            && e.getMessage().toLowerCase(java.util.Locale.ROOT).contains("refused")
            && e.getMessage().contains("gave up after 2 attempts"), e.getMessage());
    }

    @Test
    void anInterruptEndsABlockedRetrieveAtOnceAndLeavesNoFolder() throws Exception {
        AtomicInteger n = silentPeer();
        Path folder = tmp.resolve("series");
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                client(server.getLocalPort(), 60, 600, 3).retrieveSeries("1.2", "1.2.3", folder);
            } catch (Throwable x) {
                thrown.set(x);
            }
        });
        t.start();
        while (n.get() == 0) Thread.sleep(20);
        Thread.sleep(300);
        t.interrupt();
        t.join(5000);
        assertFalse(t.isAlive(), () -> "still blocked: " + java.util.Arrays.toString(t.getStackTrace()));
        assertTrue(thrown.get() instanceof InterruptedIOException, String.valueOf(thrown.get()));
        assertEquals(1, n.get(), "an interrupt is not retried");
        assertFalse(Files.exists(folder), "a failed retrieve leaves nothing behind");
    }
}
