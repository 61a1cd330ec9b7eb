package org.voxellens.io.pacs;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Flow;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * An HTTP answer's body as an InputStream that a thread interrupt stops. The JDK's {@code BodyHandlers.ofInputStream}
 * swallows the interrupt of a reader waiting for the next bytes and waits again, so a Ctrl-C or a cancelled job
 * would stay blocked on a PACS that stopped sending. One list of buffers is requested at a time, so memory stays
 * bounded whatever the body's size.
 */
final class BodyStream extends InputStream implements HttpResponse.BodySubscriber<InputStream> {

    /** The body as a stream; the stream is available once the answer's headers arrived. */
    static HttpResponse.BodyHandler<InputStream> handler() {
        return info -> new BodyStream();
    }

    private static final List<ByteBuffer> END = List.of();

    private final BlockingQueue<List<ByteBuffer>> queue = new LinkedBlockingQueue<>();
    private volatile Flow.Subscription subscription;
    private volatile Throwable failed;
    private Iterator<ByteBuffer> list;
    private ByteBuffer current;
    private boolean ended;
    private boolean closed;

    private BodyStream() {
    }

    @Override
    public CompletionStage<InputStream> getBody() {
        return CompletableFuture.completedStage(this);
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
        subscription = s;
        s.request(1);
    }

    @Override
    public void onNext(List<ByteBuffer> item) {
        queue.add(item);
    }

    @Override
    public void onError(Throwable t) {
        failed = t;
        queue.add(END);
    }

    @Override
    public void onComplete() {
        queue.add(END);
    }

    /** Makes {@code current} hold unread bytes; false at the body's end. */
    private boolean fill() throws IOException {
        if (closed) throw new IOException("stream closed");
        while (current == null || !current.hasRemaining()) {
            if (list != null && list.hasNext()) {
                current = list.next();
                continue;
            }
            if (ended) return false;
            List<ByteBuffer> l;
            try {
                l = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                cancel();
                throw new InterruptedIOException("interrupted while reading the answer");
            }
            if (l == END) {
                ended = true;
                list = null;
                Throwable t = failed;
                if (t != null) throw t instanceof IOException io ? io : new IOException(t.getMessage(), t);
                return false;
            }
            list = l.iterator();
            current = null;
            subscription.request(1);
        }
        return true;
    }

    @Override
    public int read() throws IOException {
        return fill() ? current.get() & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        if (!fill()) return -1;
        int n = Math.min(len, current.remaining());
        current.get(b, off, n);
        return n;
    }

    @Override
    public int available() {
        return current == null ? 0 : current.remaining();
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        if (!ended) cancel(); // stop the bytes of a body nobody reads; the connection is not reused
    }

    private void cancel() {
        Flow.Subscription s = subscription;
        if (s != null) s.cancel();
    }
}
