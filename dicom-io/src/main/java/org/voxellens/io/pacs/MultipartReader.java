package org.voxellens.io.pacs;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a multipart/related body (RFC 2046) part by part, copying each part's bytes to an output stream as they
 * arrive: memory stays at one fixed buffer however large the parts (a WADO-RS series of 1 GB included).
 */
final class MultipartReader {

    private static final int BUFFER = 1 << 16;
    private static final int MAX_HEADERS = 16 * 1024;

    private final InputStream in;
    private final byte[] delimiter; // CRLF "--" boundary
    private final byte[] buf;
    private int len;
    private boolean eof;
    private boolean started;
    private boolean finished;

    MultipartReader(InputStream in, String boundary) {
        this.in = in;
        this.delimiter = ("\r\n--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
        this.buf = new byte[BUFFER + delimiter.length];
        // The first boundary has no CRLF before it: pretend it has, so one delimiter fits all.
        buf[0] = '\r';
        buf[1] = '\n';
        len = 2;
    }

    /** The boundary parameter of a multipart Content-Type header; null when absent. */
    static String boundary(String contentType) {
        if (contentType == null) return null;
        for (String p : contentType.split(";")) {
            String t = p.strip();
            if (t.toLowerCase(Locale.ROOT).startsWith("boundary=")) {
                String b = t.substring("boundary=".length()).strip();
                if (b.length() >= 2 && b.startsWith("\"") && b.endsWith("\"")) b = b.substring(1, b.length() - 1);
                return b.isEmpty() ? null : b;
            }
        }
        return null;
    }

    /**
     * Moves to the next part and returns its headers (lower-case names), or null after the last part. The caller
     * then copies the body with {@link #copyPart}.
     */
    Map<String, String> nextPart() throws IOException {
        if (finished) return null;
        if (!started) {
            copyUntilDelimiter(OutputStream.nullOutputStream()); // preamble
            started = true;
        }
        // After a delimiter: "--" ends the body, otherwise optional padding and CRLF.
        fill(2);
        if (len >= 2 && buf[0] == '-' && buf[1] == '-') {
            finished = true;
            return null;
        }
        String line = readLine();
        if (!line.isBlank()) throw new IOException("malformed multipart body (text after a boundary)");
        Map<String, String> headers = new LinkedHashMap<>();
        int total = 0;
        while (true) {
            String h = readLine();
            total += h.length();
            if (total > MAX_HEADERS) throw new IOException("malformed multipart body (part headers too long)");
            if (h.isEmpty()) break;
            int colon = h.indexOf(':');
            if (colon > 0) headers.put(h.substring(0, colon).strip().toLowerCase(Locale.ROOT), h.substring(colon + 1).strip());
        }
        return headers;
    }

    /** Copies the current part's body to {@code out}. */
    void copyPart(OutputStream out) throws IOException {
        copyUntilDelimiter(out);
    }

    private void copyUntilDelimiter(OutputStream out) throws IOException {
        while (true) {
            fill(delimiter.length);
            int at = indexOf();
            if (at >= 0) {
                out.write(buf, 0, at);
                consume(at + delimiter.length);
                return;
            }
            if (eof) throw new EOFException("multipart body ended before its closing boundary (connection lost?)");
            int safe = len - (delimiter.length - 1); // bytes that cannot start a delimiter
            if (safe > 0) {
                out.write(buf, 0, safe);
                consume(safe);
            }
            readMore();
        }
    }

    private String readLine() throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        while (true) {
            if (len == 0) {
                readMore();
                if (len == 0) throw new EOFException("multipart body ended inside part headers");
            }
            for (int i = 0; i < len; i++) {
                if (buf[i] == '\n') {
                    line.write(buf, 0, i);
                    consume(i + 1);
                    String s = line.toString(StandardCharsets.ISO_8859_1);
                    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
                }
            }
            line.write(buf, 0, len);
            if (line.size() > MAX_HEADERS) throw new IOException("malformed multipart body (line too long)");
            consume(len);
        }
    }

    private int indexOf() {
        outer:
        for (int i = 0; i + delimiter.length <= len; i++) {
            for (int j = 0; j < delimiter.length; j++) if (buf[i + j] != delimiter[j]) continue outer;
            return i;
        }
        return -1;
    }

    private void fill(int want) throws IOException {
        while (len < want && !eof) readMore();
    }

    private void readMore() throws IOException {
        if (eof || len == buf.length) return;
        int n = in.read(buf, len, buf.length - len);
        if (n < 0) eof = true;
        else len += n;
    }

    private void consume(int n) {
        System.arraycopy(buf, n, buf, 0, len - n);
        len -= n;
    }
}
