package org.voxellens.io.pacs;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The deadlines of one network exchange (one HTTP request with its bodies, one DIMSE association): it fails when
 * no byte moved for the stall limit, when the server takes longer than the answer limit to start answering, or when
 * the whole exchange outlasts its overall limit. Socket timeouts cannot say this: java.net.http's request timeout
 * ends when the headers arrive (a body that stops mid-way then blocks forever) and PixelMed's sockets have none.
 *
 * <p>The transport reports bytes with {@link #moved(long)} and registers how to break the exchange off
 * ({@link #onExpiry(Runnable)}: cancel the request, close the sockets); a watchdog thread checks the clocks four
 * times a second and runs those actions once a limit passes. The blocked thread then fails with some I/O error,
 * which {@link #failure(IOException)} replaces by the deadline's own message.
 */
final class TransferWatch implements AutoCloseable {

    /** Where the exchange is: which limit applies to the silence since the last byte. */
    enum Phase { SENDING, AWAITING_ANSWER, RECEIVING }

    /** Limits and the pacs.yaml keys that set them (named in the messages, so users know what to change). */
    record Limits(Duration stall, String stallKey, Duration answer, String answerKey, Duration whole, String wholeKey) {
    }

    // One daemon timer for every watch: it only reads clocks and runs the registered abort actions.
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "voxellens-transfer-watch");
        t.setDaemon(true);
        return t;
    });

    private final String what;
    private final Limits limits;
    private final long start = System.nanoTime();
    private final AtomicLong last = new AtomicLong(start);
    private final AtomicLong bytes = new AtomicLong();
    private final List<Runnable> aborts = new CopyOnWriteArrayList<>();
    private final ScheduledFuture<?> check;
    private final Thread owner = Thread.currentThread();
    private volatile Phase phase;
    private volatile PacsException expired;
    private volatile boolean interrupted;

    TransferWatch(String what, Limits limits, Phase first) {
        this.what = what;
        this.limits = limits;
        this.phase = first;
        this.check = TIMER.scheduleWithFixedDelay(this::check, 250, 250, TimeUnit.MILLISECONDS);
    }

    /** Bytes sent or received: the stall clock starts again. */
    void moved(long n) {
        if (n > 0) bytes.addAndGet(n);
        last.set(System.nanoTime());
    }

    /** The exchange moved on (request sent, answer started): the silence is counted against the new phase's limit. */
    void phase(Phase p) {
        phase = p;
        last.set(System.nanoTime());
    }

    /** Runs when a limit passes (at once if one already has). */
    void onExpiry(Runnable abort) {
        aborts.add(abort);
        if (expired != null || interrupted) abort.run();
    }

    boolean expired() {
        return expired != null;
    }

    /**
     * The error to report for a failure of the exchange: the deadline's message when a limit passed (the I/O error
     * is only its consequence), an interruption as such, otherwise the error itself.
     */
    IOException failure(IOException e) {
        // The I/O error is only the consequence of breaking off (and may be the deadline's own error passed back).
        if (expired != null) return expired;
        if ((interrupted || Thread.currentThread().isInterrupted()) && !(e instanceof InterruptedIOException)) {
            InterruptedIOException x = new InterruptedIOException(what + ": interrupted");
            x.initCause(e);
            return x;
        }
        return e;
    }

    /** Throws the deadline's error if a limit passed (for exchanges that ended without an I/O error). */
    void throwIfExpired() throws PacsException {
        if (expired != null) throw expired;
    }

    private void check() {
        if (expired != null || interrupted) return;
        if (owner.isInterrupted()) {
            // Ctrl-C or a cancelled job: a thread blocked in a socket read does not notice its interrupt, so the
            // exchange is broken off here just as for a deadline.
            interrupted = true;
            abortAll();
            return;
        }
        long now = System.nanoTime();
        Phase p = phase;
        long silent = now - last.get();
        Duration quiet = p == Phase.AWAITING_ANSWER ? limits.answer() : limits.stall();
        String quietKey = p == Phase.AWAITING_ANSWER ? limits.answerKey() : limits.stallKey();
        String problem = null;
        boolean retryable = true;
        if (now - start > limits.whole().toNanos()) {
            // A retry would take as long again: the limit is the user's statement of what is too long.
            problem = "not finished within " + seconds(limits.whole()) + " (" + limits.wholeKey() + ")";
            retryable = false;
        } else if (silent > quiet.toNanos()) {
            problem = switch (p) {
                case AWAITING_ANSWER -> "no answer within " + seconds(quiet);
                case SENDING -> "the PACS stopped taking data for " + seconds(quiet);
                case RECEIVING -> "no data for " + seconds(quiet);
            } + " (" + quietKey + ")";
        }
        if (problem == null) return;
        long b = bytes.get();
        String moved = b > 0 ? ", after " + megabytes(b) : "";
        expired = new PacsException(what + ": " + problem + moved, 0, retryable);
        abortAll();
    }

    private void abortAll() {
        for (Runnable r : aborts) {
            try {
                r.run();
            } catch (RuntimeException ignored) {
                // breaking off is best effort; the blocked thread sees the closed stream either way
            }
        }
    }

    private static String seconds(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? ms / 1000 + " s" : String.format(Locale.ROOT, "%.1f s", ms / 1000.0);
    }

    private static String megabytes(long b) {
        return b < 1 << 20 ? b + " bytes" : String.format(Locale.ROOT, "%.1f MB", b / 1048576.0);
    }

    @Override
    public void close() {
        check.cancel(false);
    }
}
