package org.voxellens.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy on 127.0.0.1 in front of a real server that passes requests on but stops forwarding an answer once
 * it has passed {@code stallAfter} bytes of it, keeping the connection open: a PACS whose transfer stalls mid-body
 * (the case that hung {@code pacs run} forever). Small answers (queries) pass untouched.
 */
final class StallingProxy implements AutoCloseable {

    private final ServerSocket listener = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
    private final String host;
    private final int port;
    private final long stallAfter;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    final AtomicInteger stalled = new AtomicInteger();

    StallingProxy(String host, int port, long stallAfter) throws IOException {
        this.host = host;
        this.port = port;
        this.stallAfter = stallAfter;
        daemon(this::acceptLoop);
    }

    int port() {
        return listener.getLocalPort();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket();
                server.connect(new InetSocketAddress(host, port), 5000);
                sockets.add(client);
                sockets.add(server);
                daemon(() -> pump(client, server, Long.MAX_VALUE));
                daemon(() -> pump(server, client, stallAfter));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to, long limit) {
        byte[] buf = new byte[16 << 10];
        long passed = 0;
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) > 0) {
                int pass = (int) Math.min(n, limit - passed);
                out.write(buf, 0, pass);
                out.flush();
                passed += pass;
                if (passed >= limit) {
                    stalled.incrementAndGet();
                    // Silence from here on: read and drop what the server still sends, until someone closes.
                    in.transferTo(OutputStream.nullOutputStream());
                    return;
                }
            }
            to.shutdownOutput();
        } catch (IOException e) {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void daemon(Runnable r) {
        Thread t = new Thread(r, "stalling-proxy");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // the test is tearing the connection down anyway
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : sockets) closeQuietly(s);
    }
}
