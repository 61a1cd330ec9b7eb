package org.voxellens.cli;


import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Orthanc (Debian's, with the DICOMweb plugin) for tests, reachable from this machine only: Orthanc 1.10
 * cannot bind to one address, so it runs inside its own network namespace holding only its loopback and one end
 * of a veth pair with a private /30; the other end stays here. Nothing else can route to it (IP forwarding is
 * off here, and the namespace has no other link). Authentication is on (a random password per fixture); our AE
 * title is declared for C-FIND/C-GET/C-STORE. Storage lives in a temp folder so {@link #kill()} + {@link #start()}
 * keeps the data. {@link #close()} kills it and deletes the namespace (a shutdown hook does too).
 */
final class OrthancFixture implements AutoCloseable {

    static final String ORTHANC = "/usr/sbin/Orthanc";
    static final Path DICOMWEB_PLUGIN = Path.of("/usr/share/orthanc/plugins/libOrthancDicomWeb.so");
    static final String AET = "ORTHANC";
    static final String OUR_AET = "VOXELLENS";
    static final int HTTP = 8042;
    static final int DICOM = 4242;

    final Path dir;
    final String namespace;
    final String hostIf;
    final String hostIp;
    final String peerIp;
    final String user = "researcher";
    final String password;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    private final Thread cleanup;
    private Process process;

    private OrthancFixture(Path dir, String namespace, String hostIf, String hostIp, String peerIp, String password) {
        this.dir = dir;
        this.namespace = namespace;
        this.hostIf = hostIf;
        this.hostIp = hostIp;
        this.peerIp = peerIp;
        this.password = password;
        this.cleanup = new Thread(this::teardown);
    }

    /** Creates the namespace, starts Orthanc in it and waits until HTTP and DICOM answer. */
    static OrthancFixture create(Path dir) throws IOException, InterruptedException {
        org.voxellens.testing.RequiredTools.file(Path.of(ORTHANC), "orthanc");
        org.voxellens.testing.RequiredTools.file(DICOMWEB_PLUGIN, "orthanc-dicomweb");
        org.voxellens.testing.RequiredTools.program("ip", "iproute2");
        SecureRandom rnd = new SecureRandom();
        String id = HexFormat.of().formatHex(rnd.generateSeed(3));
        String existing = run(List.of("ip", "-4", "-o", "addr"), true);
        int x = -1;
        for (int tries = 0; tries < 50 && x < 0; tries++) {
            int c = 2 + rnd.nextInt(250);
            if (!existing.contains("10.231." + c + ".")) x = c;
        }
        String ns = "vl-orth-" + id;
        String hostIf = "vlh" + id;
        String peerIf = "vln" + id;
        String hostIp = "10.231." + x + ".1";
        String peerIp = "10.231." + x + ".2";
        OrthancFixture f = new OrthancFixture(dir, ns, hostIf, hostIp, peerIp, HexFormat.of().formatHex(rnd.generateSeed(12)));
        Runtime.getRuntime().addShutdownHook(f.cleanup);
        try {
            run(List.of("ip", "netns", "add", ns), false);
            run(List.of("ip", "link", "add", hostIf, "type", "veth", "peer", "name", peerIf), false);
            run(List.of("ip", "link", "set", peerIf, "netns", ns), false);
            run(List.of("ip", "addr", "add", hostIp + "/30", "dev", hostIf), false);
            run(List.of("ip", "link", "set", hostIf, "up"), false);
            run(List.of("ip", "netns", "exec", ns, "ip", "addr", "add", peerIp + "/30", "dev", peerIf), false);
            run(List.of("ip", "netns", "exec", ns, "ip", "link", "set", peerIf, "up"), false);
            run(List.of("ip", "netns", "exec", ns, "ip", "link", "set", "lo", "up"), false);
            f.writeConfig();
            f.start();
            return f;
        } catch (IOException | RuntimeException | InterruptedException e) {
            f.close();
            throw e;
        }
    }

    private void writeConfig() throws IOException {
        Files.createDirectories(dir.resolve("storage"));
        String json = """
            {
              "Name": "VoxelLens test PACS",
              "StorageDirectory": "%s", "IndexDirectory": "%s",
              "HttpPort": %d, "DicomPort": %d, "DicomAet": "%s",
              "RemoteAccessAllowed": true,
              "AuthenticationEnabled": true, "RegisteredUsers": {"%s": "%s"},
              "DicomCheckCalledAet": true,
              "DicomModalities": {"voxellens": ["%s", "%s", 11112]},
              "Plugins": ["%s"],
              "DicomWeb": {"Enable": true, "Root": "/dicom-web/"},
              "StableAge": 1, "HttpTimeout": 60
            }
            """.formatted(dir.resolve("storage"), dir.resolve("storage"), HTTP, DICOM, AET, user, password, OUR_AET,
            hostIp, DICOMWEB_PLUGIN);
        Files.writeString(dir.resolve("orthanc.json"), json);
        // RemoteAccessAllowed only because the namespace is private: the sole peer is this machine.
    }

    /** Starts (or restarts) Orthanc on the existing storage and waits until it answers. */
    void start() throws IOException, InterruptedException {
        process = new ProcessBuilder("ip", "netns", "exec", namespace, ORTHANC, dir.resolve("orthanc.json").toString())
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("orthanc.log").toFile()))
            .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) throw new IOException("Orthanc exited at start: " + tail());
            try {
                if (get("/system").statusCode() == 200 && dicomOpen()) return;
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IOException("Orthanc did not start within 30 s: " + tail());
    }

    /** Kills Orthanc at once (SIGKILL), as a crash or power cut would. */
    void kill() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    String dicomWebUrl() { return "http://" + peerIp + ":" + HTTP + "/dicom-web"; }

    /** A pacs.yaml for this server; the password goes into a file beside it. */
    Path pacsYaml(Path file, String transport, String pass, int retries, int backoffMs) throws IOException {
        Path secret = file.resolveSibling(file.getFileName() + ".password");
        Files.writeString(secret, pass + "\n");
        Files.writeString(file, """
            transport: %s
            dicomweb:
              url: %s
              auth: {type: basic, user: %s, password_file: %s}
              connect_timeout_s: 3
              read_timeout_s: 60
            dimse: {calling_aet: %s, called_aet: %s, host: %s, port: %d, retrieve: get}
            retries: %d
            backoff_ms: %d
            """.formatted(transport, dicomWebUrl(), user, secret.getFileName(), OUR_AET, AET, peerIp, DICOM, retries, backoffMs));
        return file;
    }

    /** Uploads files through Orthanc's own REST API (not through the code under test). */
    void upload(List<Path> files) throws IOException, InterruptedException {
        for (Path f : files) {
            HttpResponse<String> r = http.send(auth(HttpRequest.newBuilder(URI.create(base() + "/instances")))
                .POST(HttpRequest.BodyPublishers.ofFile(f)).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) throw new IOException("upload of " + f + ": HTTP " + r.statusCode() + " " + r.body());
        }
    }

    /** QIDO-RS series of a study, as plain JSON (independent of the client under test). */
    List<JsonObject> qidoSeries(String studyUid) throws IOException, InterruptedException {
        HttpResponse<String> r = get("/dicom-web/studies/" + studyUid + "/series?includefield=00080070&includefield=00201209&includefield=00200011");
        if (r.statusCode() == 204 || r.body().isBlank()) return List.of();
        if (r.statusCode() != 200) throw new IOException("QIDO: HTTP " + r.statusCode());
        List<JsonObject> out = new ArrayList<>();
        for (JsonElement e : JsonParser.parseString(r.body()).getAsJsonArray()) out.add(e.getAsJsonObject());
        return out;
    }

    static String value(JsonObject o, String tag) {
        JsonObject a = o.getAsJsonObject(tag);
        if (a == null || !a.has("Value")) return "";
        JsonArray v = a.getAsJsonArray("Value");
        return v.isEmpty() ? "" : v.get(0).getAsString();
    }

    /** Downloads every instance of a series (Orthanc REST) into a folder. */
    List<Path> downloadSeries(String seriesUid, Path folder) throws IOException, InterruptedException {
        HttpResponse<String> r = http.send(auth(HttpRequest.newBuilder(URI.create(base() + "/tools/lookup")))
            .POST(HttpRequest.BodyPublishers.ofString(seriesUid)).build(), HttpResponse.BodyHandlers.ofString());
        String id = JsonParser.parseString(r.body()).getAsJsonArray().get(0).getAsJsonObject().get("ID").getAsString();
        JsonArray instances = JsonParser.parseString(get("/series/" + id + "/instances").body()).getAsJsonArray();
        Files.createDirectories(folder);
        List<Path> out = new ArrayList<>();
        for (JsonElement e : instances) {
            String iid = e.getAsJsonObject().get("ID").getAsString();
            Path f = folder.resolve(iid + ".dcm");
            http.send(auth(HttpRequest.newBuilder(URI.create(base() + "/instances/" + iid + "/file"))).GET().build(),
                HttpResponse.BodyHandlers.ofFile(f));
            out.add(f);
        }
        return out;
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(auth(HttpRequest.newBuilder(URI.create(base() + path))).GET().build(),
            HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private HttpRequest.Builder auth(HttpRequest.Builder b) {
        return b.timeout(Duration.ofSeconds(30)).header("Authorization", "Basic "
            + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8)));
    }

    private String base() { return "http://" + peerIp + ":" + HTTP; }

    private boolean dicomOpen() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(peerIp, DICOM), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    String tail() {
        try {
            List<String> l = Files.readAllLines(dir.resolve("orthanc.log"));
            return String.join("\n", l.subList(Math.max(0, l.size() - 15), l.size()));
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static String run(List<String> cmd, boolean output) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(20, TimeUnit.SECONDS) || p.exitValue() != 0) {
            if (output) return out;
            throw new IOException(String.join(" ", cmd) + " failed: " + out.strip()
                + " (the Orthanc tests need root for a private network namespace)");
        }
        return out;
    }

    private void teardown() {
        try {
            kill();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            run(List.of("ip", "netns", "del", namespace), true); // takes the veth pair with it
            run(List.of("ip", "link", "del", hostIf), true);
        } catch (IOException | InterruptedException ignored) {
            // best effort at exit
        }
    }

    @Override
    public void close() {
        teardown();
        try {
            Runtime.getRuntime().removeShutdownHook(cleanup);
        } catch (IllegalStateException shuttingDown) {
            // already running
        }
    }
}
