package org.voxellens.io.pacs;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;

/**
 * One HTTP exchange under a {@link TransferWatch}: the request body's bytes and the answer's bytes are counted as
 * they pass, the answer's start moves the watch to its receiving phase, and an expiry cancels the request (before
 * the answer) or the answer's subscription (during the body; a reader blocked on a {@link BodyStream} then
 * fails at once).
 */
final class WatchedHttp {

    private WatchedHttp() {
    }

    /** Sends and waits for the answer's headers; the body (if streamed) stays watched until the watch is closed. */
    static <T> HttpResponse<T> send(HttpClient http, HttpRequest req, HttpResponse.BodyHandler<T> handler,
                                    TransferWatch watch) throws IOException {
        CompletableFuture<HttpResponse<T>> f = http.sendAsync(req, info -> {
            watch.phase(TransferWatch.Phase.RECEIVING);
            return new CountingSubscriber<>(handler.apply(info), watch);
        });
        watch.onExpiry(() -> f.cancel(true));
        try {
            return f.get();
        } catch (InterruptedException e) {
            f.cancel(true);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException(req.method() + " " + req.uri().getPath() + ": interrupted");
        } catch (CancellationException e) {
            throw watch.failure(new IOException("request cancelled", e));
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            IOException io = c instanceof IOException x ? x : new IOException(c);
            throw watch.failure(io);
        }
    }

    /** The request body, counted as the client takes it; the watch awaits the answer once it is all sent. */
    static HttpRequest.BodyPublisher counted(HttpRequest.BodyPublisher body, TransferWatch watch) {
        return new HttpRequest.BodyPublisher() {
            @Override
            public long contentLength() {
                return body.contentLength();
            }

            @Override
            public void subscribe(Flow.Subscriber<? super ByteBuffer> s) {
                body.subscribe(new Flow.Subscriber<ByteBuffer>() {
                    @Override
                    public void onSubscribe(Flow.Subscription sub) {
                        watch.phase(TransferWatch.Phase.SENDING);
                        s.onSubscribe(sub);
                    }

                    @Override
                    public void onNext(ByteBuffer b) {
                        watch.moved(b.remaining());
                        s.onNext(b);
                    }

                    @Override
                    public void onError(Throwable t) {
                        s.onError(t);
                    }

                    @Override
                    public void onComplete() {
                        watch.phase(TransferWatch.Phase.AWAITING_ANSWER);
                        s.onComplete();
                    }
                });
            }
        };
    }

    private static final class CountingSubscriber<T> implements HttpResponse.BodySubscriber<T> {
        private final HttpResponse.BodySubscriber<T> delegate;
        private final TransferWatch watch;

        CountingSubscriber(HttpResponse.BodySubscriber<T> delegate, TransferWatch watch) {
            this.delegate = delegate;
            this.watch = watch;
        }

        @Override
        public CompletionStage<T> getBody() {
            return delegate.getBody();
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            delegate.onSubscribe(s);
            // Cancelling stops the bytes; the error tells a reader blocked on the body to stop waiting for them.
            watch.onExpiry(() -> {
                s.cancel();
                delegate.onError(new IOException("transfer broken off"));
            });
        }

        @Override
        public void onNext(List<ByteBuffer> item) {
            long n = 0;
            for (ByteBuffer b : item) n += b.remaining();
            watch.moved(n);
            delegate.onNext(item);
        }

        @Override
        public void onError(Throwable t) {
            delegate.onError(t);
        }

        @Override
        public void onComplete() {
            delegate.onComplete();
        }
    }
}
