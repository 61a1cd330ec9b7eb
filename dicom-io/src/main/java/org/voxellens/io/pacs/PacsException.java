package org.voxellens.io.pacs;

import java.io.IOException;

/**
 * A PACS refused or failed a request. The message names the server and the problem (never credentials or patient
 * data). {@link #retryable()} is true for server errors (HTTP 5xx) and lost connections, which may pass on a second
 * try; false for client errors (HTTP 4xx: wrong password, bad query), which never will.
 */
public class PacsException extends IOException {

    private final int status;
    private final boolean retryable;

    public PacsException(String message, int status, boolean retryable, Throwable cause) {
        super(message, cause);
        this.status = status;
        this.retryable = retryable;
    }

    public PacsException(String message, int status, boolean retryable) {
        this(message, status, retryable, null);
    }

    /** HTTP status, or 0 when there was none (connection, DIMSE). */
    public int status() { return status; }

    public boolean retryable() { return retryable; }

    /** Wrong or missing credentials: no later request of the same run can succeed either. */
    public boolean authentication() { return status == 401 || status == 403; }
}
