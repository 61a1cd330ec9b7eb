package org.voxellens.io.pacs;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The PACS a research run talks to, read from {@code pacs.yaml}:
 *
 * <pre>
 * transport: dicomweb            # or dimse
 * dicomweb:
 *   url: https://pacs.example.org/dicom-web
 *   auth: {type: basic, user: research, password_file: pacs-password}   # none | basic | bearer
 *   extra_ca: site-ca.pem         # trusted besides the system trust store
 *   connect_timeout_s: 10
 *   read_timeout_s: 60            # from the request to the first byte of the answer
 *   stall_timeout_s: 30           # no byte moving either way while a body is sent or received
 *   transfer_timeout_s: 1800      # one whole request (a WADO-RS series, a STOW-RS batch of 64 instances)
 * dimse: {calling_aet: VOXELLENS, called_aet: ORTHANC, host: pacs.example.org, port: 4242, retrieve: get,
 *         stall_timeout_s: 60,    # no byte moving either way on the association
 *         timeout_s: 600}          # per operation (a whole C-GET of a series)
 * retries: 3                      # after the first try, on 5xx and lost connections only
 * backoff_ms: 500                 # doubled after every retry
 * concurrency: 1                  # studies in flight
 * </pre>
 *
 * Secrets come from a file ({@code password_file}, {@code token_file}; relative to pacs.yaml) or an environment
 * variable ({@code password_env}, {@code token_env}), never from the command line or the YAML itself. Unknown keys
 * are refused, so a typo does not silently disable authentication.
 */
public final class PacsConfig {

    public enum Transport { DICOMWEB, DIMSE }

    /** Retry policy for 5xx answers and lost connections. */
    public record Retry(int retries, Duration backoff) {
        public Retry {
            if (retries < 0) throw new IllegalArgumentException("retries must be >= 0");
        }
    }

    /**
     * DICOMweb endpoint: base URL (QIDO/WADO/STOW root), auth, extra CA, and the deadlines of every request:
     * connecting, the wait for the answer to start, silence while a body moves, and the whole request.
     */
    public record DicomWeb(URI url, Auth auth, Path extraCa, Duration connectTimeout, Duration readTimeout,
                           Duration stallTimeout, Duration transferTimeout) {
        /** With the default stall (30 s) and whole-request (1800 s) deadlines. */
        public DicomWeb(URI url, Auth auth, Path extraCa, Duration connectTimeout, Duration readTimeout) {
            this(url, auth, extraCa, connectTimeout, readTimeout, Duration.ofSeconds(DEFAULT_STALL_S),
                Duration.ofSeconds(DEFAULT_TRANSFER_S));
        }
    }

    /**
     * DIMSE peer: our AE title, theirs, host and port; retrieve by C-GET (no connection back to us); the whole
     * operation's deadline and the longest silence on the association.
     */
    public record Dimse(String callingAet, String calledAet, String host, int port, String retrieve, Duration timeout,
                        Duration stallTimeout) {
        /** With the default stall deadline (60 s). */
        public Dimse(String callingAet, String calledAet, String host, int port, String retrieve, Duration timeout) {
            this(callingAet, calledAet, host, port, retrieve, timeout, Duration.ofSeconds(DEFAULT_DIMSE_STALL_S));
        }
    }

    static final int DEFAULT_READ_S = 60;
    static final int DEFAULT_STALL_S = 30;
    static final int DEFAULT_TRANSFER_S = 1800;
    static final int DEFAULT_DIMSE_STALL_S = 60;

    private final Path source;
    private final Transport transport;
    private final DicomWeb dicomWeb;
    private final Dimse dimse;
    private final Retry retry;
    private final int concurrency;

    private PacsConfig(Path source, Transport transport, DicomWeb dicomWeb, Dimse dimse, Retry retry, int concurrency) {
        this.source = source;
        this.transport = transport;
        this.dicomWeb = dicomWeb;
        this.dimse = dimse;
        this.retry = retry;
        this.concurrency = concurrency;
    }

    public static PacsConfig load(Path file) throws IOException {
        return load(file, System.getenv());
    }

    /** As {@link #load(Path)}, with the environment given (tests). */
    public static PacsConfig load(Path file, Map<String, String> env) throws IOException {
        Object root;
        try (InputStream in = Files.newInputStream(file)) {
            root = new Yaml(new SafeConstructor(new LoaderOptions())).load(in);
        } catch (java.nio.file.NoSuchFileException e) {
            throw new IOException(file + ": PACS configuration not found", e);
        } catch (RuntimeException e) {
            throw new IOException(file + ": not valid YAML (" + e.getMessage().split("\\R", 2)[0] + ")", e);
        }
        Reader r = new Reader(file, env);
        Map<String, Object> top = r.map(root, "");
        r.allow(top, "", Set.of("transport", "dicomweb", "dimse", "retries", "backoff_ms", "concurrency"));
        DicomWeb web = null;
        if (top.get("dicomweb") != null) {
            Map<String, Object> w = r.map(top.get("dicomweb"), "dicomweb");
            r.allow(w, "dicomweb", Set.of("url", "auth", "extra_ca", "connect_timeout_s", "read_timeout_s",
                "stall_timeout_s", "transfer_timeout_s"));
            String url = r.string(w, "dicomweb.url", "url", null);
            if (url == null) throw r.error("dicomweb.url is required");
            URI uri;
            try {
                uri = URI.create(url.endsWith("/") ? url.substring(0, url.length() - 1) : url);
            } catch (IllegalArgumentException e) {
                throw r.error("dicomweb.url is not a URL: " + e.getMessage());
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) throw r.error("dicomweb.url must be http:// or https://");
            if (uri.getUserInfo() != null) throw r.error("dicomweb.url must not hold credentials; use dicomweb.auth");
            Auth auth = r.auth(w.get("auth"));
            String ca = r.string(w, "dicomweb.extra_ca", "extra_ca", null);
            web = new DicomWeb(uri, auth, ca == null ? null : r.relative(ca),
                Duration.ofMillis((long) (1000 * r.number(w, "dicomweb.connect_timeout_s", "connect_timeout_s", 10))),
                r.seconds(w, "dicomweb.read_timeout_s", "read_timeout_s", DEFAULT_READ_S),
                r.seconds(w, "dicomweb.stall_timeout_s", "stall_timeout_s", DEFAULT_STALL_S),
                r.seconds(w, "dicomweb.transfer_timeout_s", "transfer_timeout_s", DEFAULT_TRANSFER_S));
        }
        Dimse dimse = null;
        if (top.get("dimse") != null) {
            Map<String, Object> d = r.map(top.get("dimse"), "dimse");
            r.allow(d, "dimse", Set.of("calling_aet", "called_aet", "host", "port", "retrieve", "timeout_s",
                "stall_timeout_s"));
            String retrieve = r.string(d, "dimse.retrieve", "retrieve", "get").toLowerCase(Locale.ROOT);
            if (!retrieve.equals("get")) {
                throw r.error("dimse.retrieve: only 'get' (C-GET) is supported; C-MOVE would need the PACS to connect "
                    + "back to a storage SCP here");
            }
            String host = r.string(d, "dimse.host", "host", null);
            if (host == null) throw r.error("dimse.host is required");
            int port = (int) r.number(d, "dimse.port", "port", 104);
            dimse = new Dimse(aet(r, r.string(d, "dimse.calling_aet", "calling_aet", "VOXELLENS"), "calling_aet"),
                aet(r, r.string(d, "dimse.called_aet", "called_aet", "ANY-SCP"), "called_aet"), host, port, retrieve,
                r.seconds(d, "dimse.timeout_s", "timeout_s", 600),
                r.seconds(d, "dimse.stall_timeout_s", "stall_timeout_s", DEFAULT_DIMSE_STALL_S));
        }
        String t = r.string(top, "transport", "transport", web != null ? "dicomweb" : "dimse").toLowerCase(Locale.ROOT);
        Transport transport = switch (t) {
            case "dicomweb" -> Transport.DICOMWEB;
            case "dimse" -> Transport.DIMSE;
            default -> throw r.error("transport must be dicomweb or dimse, got " + t);
        };
        if (transport == Transport.DICOMWEB && web == null) throw r.error("transport dicomweb needs a dicomweb section");
        if (transport == Transport.DIMSE && dimse == null) throw r.error("transport dimse needs a dimse section");
        int retries = (int) r.number(top, "retries", "retries", 3);
        if (retries < 0 || retries > 20) throw r.error("retries must be 0..20");
        Retry retry = new Retry(retries, Duration.ofMillis((long) r.number(top, "backoff_ms", "backoff_ms", 500)));
        int concurrency = (int) r.number(top, "concurrency", "concurrency", 1);
        if (concurrency < 1) throw r.error("concurrency must be >= 1");
        return new PacsConfig(file, transport, web, dimse, retry, concurrency);
    }

    private static String aet(Reader r, String aet, String key) throws IOException {
        if (aet.isBlank() || aet.length() > 16) throw r.error("dimse." + key + " must be 1-16 characters");
        return aet;
    }

    public Path source() { return source; }
    public Transport transport() { return transport; }
    public DicomWeb dicomWeb() { return dicomWeb; }
    public Dimse dimse() { return dimse; }
    public Retry retry() { return retry; }
    public int concurrency() { return concurrency; }

    /** The same configuration over the other transport (both sections must be present). */
    public PacsConfig withTransport(Transport t) {
        if (t == Transport.DICOMWEB && dicomWeb == null || t == Transport.DIMSE && dimse == null) {
            throw new IllegalArgumentException(source + ": no " + t.name().toLowerCase(Locale.ROOT) + " section");
        }
        return new PacsConfig(source, t, dicomWeb, dimse, retry, concurrency);
    }

    /** Safe to log: endpoints and auth type, never secrets. */
    @Override
    public String toString() {
        return transport == Transport.DICOMWEB ? "DICOMweb " + dicomWeb.url() + " (auth " + dicomWeb.auth() + ")"
            : "DIMSE " + dimse.calledAet() + "@" + dimse.host() + ":" + dimse.port() + " as " + dimse.callingAet();
    }

    /** Typed access to the YAML map, with errors naming the file and the key. */
    private static final class Reader {
        private final Path file;
        private final Map<String, String> env;

        Reader(Path file, Map<String, String> env) {
            this.file = file;
            this.env = env;
        }

        IOException error(String problem) {
            return new IOException(file + ": " + problem);
        }

        @SuppressWarnings("unchecked")
        Map<String, Object> map(Object o, String where) throws IOException {
            if (o == null && where.isEmpty()) return new LinkedHashMap<>();
            if (!(o instanceof Map)) throw error((where.isEmpty() ? "the file" : where) + " must be a mapping");
            return (Map<String, Object>) o;
        }

        void allow(Map<String, Object> m, String where, Set<String> keys) throws IOException {
            for (String k : m.keySet()) {
                if (!keys.contains(k)) {
                    throw error("unknown key '" + (where.isEmpty() ? "" : where + ".") + k + "' (allowed: "
                        + String.join(", ", keys.stream().sorted().toList()) + ")");
                }
            }
        }

        String string(Map<String, Object> m, String name, String key, String dflt) throws IOException {
            Object o = m.get(key);
            if (o == null) return dflt;
            if (o instanceof Map || o instanceof List) throw error(name + " must be a single value");
            return o.toString().strip();
        }

        double number(Map<String, Object> m, String name, String key, double dflt) throws IOException {
            Object o = m.get(key);
            if (o == null) return dflt;
            if (o instanceof Number n && n.doubleValue() >= 0) return n.doubleValue();
            throw error(name + " must be a number >= 0, got " + o);
        }

        /** A deadline in seconds; 0 would fail every request at once, so it is refused. */
        Duration seconds(Map<String, Object> m, String name, String key, double dflt) throws IOException {
            double v = number(m, name, key, dflt);
            if (v <= 0) throw error(name + " must be > 0 seconds, got " + m.get(key));
            return Duration.ofMillis((long) (1000 * v));
        }

        Path relative(String p) {
            Path x = Path.of(p);
            Path dir = file.toAbsolutePath().getParent();
            return x.isAbsolute() || dir == null ? x : dir.resolve(x);
        }

        Auth auth(Object o) throws IOException {
            if (o == null) return Auth.none();
            Map<String, Object> a = map(o, "dicomweb.auth");
            allow(a, "dicomweb.auth", Set.of("type", "user", "password_file", "password_env", "token_file", "token_env"));
            String type = string(a, "dicomweb.auth.type", "type", "none").toLowerCase(Locale.ROOT);
            switch (type) {
                case "none":
                    return Auth.none();
                case "basic": {
                    String user = string(a, "dicomweb.auth.user", "user", null);
                    if (user == null || user.isEmpty()) throw error("dicomweb.auth.user is required for basic auth");
                    if (user.contains(":")) throw error("dicomweb.auth.user must not contain ':'");
                    return Auth.basic(user, secret(a, "password"));
                }
                case "bearer":
                    return Auth.bearer(secret(a, "token"));
                default:
                    throw error("dicomweb.auth.type must be none, basic or bearer, got " + type);
            }
        }

        /** The secret from {@code <what>_file} or {@code <what>_env}; exactly one must be given. */
        private String secret(Map<String, Object> a, String what) throws IOException {
            String f = string(a, "dicomweb.auth." + what + "_file", what + "_file", null);
            String e = string(a, "dicomweb.auth." + what + "_env", what + "_env", null);
            if ((f == null) == (e == null)) {
                throw error("dicomweb.auth needs exactly one of " + what + "_file and " + what + "_env");
            }
            String value;
            if (f != null) {
                Path p = relative(f);
                try {
                    value = Files.readString(p).strip();
                } catch (IOException ex) {
                    throw error("cannot read dicomweb.auth." + what + "_file " + p + " (" + ex.getClass().getSimpleName() + ")");
                }
            } else {
                value = env.get(e);
                if (value == null) throw error("dicomweb.auth." + what + "_env: environment variable " + e + " is not set");
                value = value.strip();
            }
            if (value.isEmpty()) throw error("dicomweb.auth: the " + what + " is empty");
            return value;
        }
    }
}
