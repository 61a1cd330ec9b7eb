package org.voxellens.io.pacs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS: a loopback HTTPS server with a certificate of its own (made here by the JDK's keytool) is trusted only when
 * pacs.yaml names it as {@code extra_ca}; without it the handshake fails once, clearly, and is not retried.
 */
class DicomWebTlsTest {

    @TempDir
    Path tmp;
    private HttpsServer server;

    @AfterEach
    void stop() {
        if (server != null) server.stop(0);
    }

    @Test
    void aPrivateCaIsTrustedOnlyWhenGivenAsExtraCa() throws Exception {
        Path ks = tmp.resolve("server.p12");
        Path pem = tmp.resolve("ca.pem");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        run(keytool, "-genkeypair", "-alias", "pacs", "-keyalg", "EC", "-keystore", ks.toString(), "-storepass", "changeit",
            "-storetype", "PKCS12", "-dname", "CN=test-pacs", "-ext", "SAN=ip:127.0.0.1", "-validity", "2");
        run(keytool, "-exportcert", "-rfc", "-alias", "pacs", "-keystore", ks.toString(), "-storepass", "changeit",
            "-file", pem.toString());
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            store.load(in, "changeit".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), null, null);
        AtomicInteger requests = new AtomicInteger();
        server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ctx));
        server.createContext("/", ex -> {
            requests.incrementAndGet();
            byte[] b = "[]".getBytes();
            ex.getResponseHeaders().add("Content-Type", "application/dicom+json");
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        URI url = URI.create("https://127.0.0.1:" + server.getAddress().getPort() + "/dicom-web");
        PacsConfig.Retry retry = new PacsConfig.Retry(3, Duration.ofMillis(10));

        PacsException e = assertThrows(PacsException.class, () -> new DicomWebClient(
            new PacsConfig.DicomWeb(url, Auth.none(), null, Duration.ofSeconds(3), Duration.ofSeconds(5)), retry).echo());
        assertFalse(e.retryable());
        assertTrue(e.getMessage().contains("TLS failed") && e.getMessage().contains("extra_ca"), e.getMessage());
        assertEquals(0, requests.get(), "no request reached the server");

        DicomWebClient trusted = new DicomWebClient(
            new PacsConfig.DicomWeb(url, Auth.none(), pem, Duration.ofSeconds(3), Duration.ofSeconds(5)), retry);
        assertTrue(trusted.echo().contains("HTTP 200"));
        assertEquals(List.of(), trusted.findStudies(PacsQuery.all()));
    }

    private static void run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IOException(String.join(" ", cmd) + ": " + out);
    }
}
