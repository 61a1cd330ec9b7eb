package org.voxellens.io.pacs;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.*;
import java.time.Duration;


/**
 * Manual check behind the figure in docs/pacs.md: a WADO-RS series of parts x size bytes served from loopback is
 * retrieved under a small -Xmx; prints time, throughput and the peak heap in use. Not a unit test (it writes the
 * whole series to disk).
 */
public final class WadoStreamingCheck {
    public static void main(String[] a) throws Exception {
        int parts = Integer.parseInt(a[0]); int size = Integer.parseInt(a[1]);
        String boundary = "bigboundary";
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        s.createContext("/", ex -> {
            ex.getResponseHeaders().add("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + boundary);
            ex.sendResponseHeaders(200, 0);
            byte[] chunk = new byte[size]; new java.util.Random(1).nextBytes(chunk);
            try (OutputStream o = ex.getResponseBody()) {
                for (int i = 0; i < parts; i++) {
                    o.write(("--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n").getBytes());
                    o.write(chunk); o.write("\r\n".getBytes());
                }
                o.write(("--" + boundary + "--\r\n").getBytes());
            }
        });
        s.start();
        long[] peak = {0};
        Thread t = new Thread(() -> { while (true) { Runtime r = Runtime.getRuntime(); peak[0] = Math.max(peak[0], r.totalMemory() - r.freeMemory()); try { Thread.sleep(5); } catch (InterruptedException e) { return; } } });
        t.setDaemon(true); t.start();
        DicomWebClient c = new DicomWebClient(new PacsConfig.DicomWeb(URI.create("http://127.0.0.1:" + s.getAddress().getPort() + "/dw"), Auth.none(), null, Duration.ofSeconds(5), Duration.ofSeconds(600)), new PacsConfig.Retry(0, Duration.ofMillis(1)));
        Path dir = Files.createTempDirectory("wado-check");
        long t0 = System.nanoTime();
        int n = c.retrieveSeries("1.2", "1.2.3", dir);
        double sec = (System.nanoTime() - t0) / 1e9;
        long bytes = 0; try (var st = Files.list(dir)) { for (Path p : st.toList()) { bytes += Files.size(p); Files.delete(p);} }
        System.out.printf("%d files, %.2f GiB in %.1f s (%.0f MB/s), max heap %d MiB, peak heap used %.1f MiB%n", n, bytes / 1073741824.0, sec, bytes / 1e6 / sec, Runtime.getRuntime().maxMemory() >> 20, peak[0] / 1048576.0);
        s.stop(0); System.exit(0);
    }
}
