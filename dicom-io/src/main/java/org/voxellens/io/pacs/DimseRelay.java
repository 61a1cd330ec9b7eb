package org.voxellens.io.pacs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback relay between PixelMed and the PACS for one association, so that its bytes can be watched and the
 * association broken off. PixelMed's SCUs open their own {@code Socket(host, port)} with no timeouts and no way to
 * reach it: a PACS that stops sending mid-C-GET would block the thread forever. PixelMed connects to
 * {@link #port()} on 127.0.0.1; the relay connects to the PACS, copies bytes both ways, reports each to the
 * {@link TransferWatch}, and an expiry (or {@link #close()}) closes both sockets, which ends PixelMed's blocked read.
 *
 * <p>The listening socket takes one connection and closes; it is bound to the loopback address only.
 */
final class DimseRelay implements AutoCloseable {

    private final ServerSocket listener;
    private final String host;
    private final int port;
    private final Duration connectTimeout;
    private final TransferWatch watch;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();
    private volatile IOException upstreamFailure;
    private volatile boolean closed;

    DimseRelay(String host, int port, Duration connectTimeout, TransferWatch watch) throws IOException {
        this.host = host;
        this.port = port;
        this.connectTimeout = connectTimeout;
        this.watch = watch;
        this.listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        watch.onExpiry(this::close);
        start("accept", this::accept);
    }

    /** The loopback port PixelMed connects to. */
    int port() {
        return listener.getLocalPort();
    }

    /** Why the relay could not reach the PACS (PixelMed then only sees a closed connection), or null. */
    IOException upstreamFailure() {
        return upstreamFailure;
    }

    private void accept() {
        Socket local;
        try {
            // PixelMed connects within moments of the relay's creation; a minute without it means it never will.
            listener.setSoTimeout(60_000);
            local = listener.accept();
        } catch (IOException e) {
            return; // closed, or nobody came: nothing to relay
        } finally {
            try {
                listener.close();
            } catch (IOException ignored) {
                // a listening socket that fails to close holds nothing
            }
        }
        sockets.add(local);
        Socket remote = new Socket();
        sockets.add(remote);
        if (closed) {
            close();
            return;
        }
        try {
            remote.connect(new InetSocketAddress(host, port), (int) Math.max(1, connectTimeout.toMillis()));
            remote.setTcpNoDelay(true);
            local.setTcpNoDelay(true);
        } catch (IOException e) {
            upstreamFailure = e instanceof SocketTimeoutException
                ? new SocketTimeoutException("no connection within " + connectTimeout.toSeconds() + " s") : e;
            close();
            return;
        }
        start("to-pacs", () -> pump(local, remote));
        start("from-pacs", () -> pump(remote, local));
    }

    private void pump(Socket from, Socket to) {
        byte[] buf = new byte[64 << 10];
        try (InputStream in = from.getInputStream()) {
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) > 0) {
                watch.moved(n);
                out.write(buf, 0, n);
                out.flush();
                watch.moved(0); // written: a PACS that takes data slowly is still taking it
            }
            // An orderly end on one side is passed on as such: the other side reads its end of stream.
            to.shutdownOutput();
        } catch (IOException e) {
            close(); // one side broke: the association is over for both
        }
    }

    private void start(String name, Runnable r) {
        Thread t = new Thread(r, "voxellens-dimse-relay-" + name);
        t.setDaemon(true);
        threads.add(t);
        t.start();
    }

    /** Closes both sockets (idempotent) and waits briefly for the copying threads to end. */
    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // nothing more to do for a listening socket
        }
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing is what we want; a failure to do it cleanly changes nothing
            }
        }
    }

    /** Waits for the relay's threads after {@link #close()}: nothing touches the sockets afterwards. */
    void join(Duration max) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        for (Thread t : threads) {
            long left = end - System.nanoTime();
            if (left <= 0) return;
            t.join(Math.max(1, left / 1_000_000));
        }
    }
}
