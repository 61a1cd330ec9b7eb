package org.voxellens.io.pacs;

import java.io.IOException;
import java.io.InterruptedIOException;

/**
 * Runs a request again after a server error (HTTP 5xx) or a lost connection, waiting {@code backoff}, then twice
 * as long, and so on, at most {@code retries} more times. Client errors (HTTP 4xx, e.g. a wrong password) fail at
 * once: repeating them cannot help and could lock the account.
 */
final class RetryPolicy {

    @FunctionalInterface
    interface Attempt<T> {
        T run() throws IOException;
    }

    private final PacsConfig.Retry retry;

    RetryPolicy(PacsConfig.Retry retry) {
        this.retry = retry;
    }

    <T> T call(String what, Attempt<T> attempt) throws IOException {
        long wait = Math.max(0, retry.backoff().toMillis());
        for (int n = 0; ; n++) {
            try {
                return attempt.run();
            } catch (PacsException e) {
                if (!e.retryable()) throw e;
                if (n >= retry.retries()) throw exhausted(what, n, e);
            } catch (InterruptedIOException e) {
                throw e;
            } catch (javax.net.ssl.SSLException e) {
                // an untrusted certificate or a protocol mismatch stays the same on every try
                throw new PacsException(what + ": TLS failed (" + describe(e) + "); if the server uses a private CA, "
                    + "give its certificate as dicomweb.extra_ca", 0, false, e);
            } catch (IOException e) {
                if (n >= retry.retries()) throw exhausted(what, n, e);
            }
            try {
                Thread.sleep(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException(what + ": interrupted while waiting to retry");
            }
            wait = Math.min(wait * 2, 60_000);
        }
    }

    private static PacsException exhausted(String what, int retries, IOException last) {
        String reason = last instanceof PacsException ? last.getMessage() : what + ": " + describe(last);
        return new PacsException(reason + (retries > 0 ? " (gave up after " + (retries + 1) + " attempts)" : ""),
            last instanceof PacsException p ? p.status() : 0, true, last);
    }

    /** A lost connection in words: the exception type says more than its (often empty) message. */
    static String describe(Throwable e) {
        String m = e.getMessage();
        String type = switch (e.getClass().getSimpleName()) {
            case "ConnectException" -> "connection refused or unreachable";
            case "HttpConnectTimeoutException" -> "connect timeout";
            case "HttpTimeoutException" -> "timeout";
            case "EOFException" -> "connection closed early";
            default -> e.getClass().getSimpleName();
        };
        return m == null || m.isBlank() ? type : type + " (" + m.strip().split("\\R", 2)[0] + ")";
    }
}
