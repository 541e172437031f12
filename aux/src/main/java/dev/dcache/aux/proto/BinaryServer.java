package dev.dcache.aux.proto;

import dev.dcache.aux.cache.LruCache;
import dev.dcache.aux.ordering.OrderedWrites;
import dev.dcache.aux.recovery.Readiness;
import dev.dcache.common.proto.Frames;
import dev.dcache.common.wire.DeleteOutcome;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.PutOutcome;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;

/**
 * Serves the binary protocol ({@link Frames}) for single-key calls from masters.
 *
 * <p>One platform thread per connection reads a request, applies it to the cache, writes the
 * reply, and flushes only when no further request is already buffered, so a master that
 * pipelines gets its replies in as few writes as possible. The connections are few and
 * long-lived (each master keeps {@code AUX_CONNECTIONS_PER_NODE}, default 1), so a platform
 * thread each is cheap, and one blocked in {@code read} is woken by the kernel directly: on a
 * virtual thread every wait went through the JDK's poller thread and a carrier hand-off, which
 * measured as a third of the aux node's CPU per request (BENCHMARKS.md). Connections are capped
 * ({@code maxConnections}) and kept alive by TCP keep-alive rather than a read timeout.
 */
public final class BinaryServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BinaryServer.class);

    private final LruCache cache;
    private final Readiness readiness;
    private final OrderedWrites ordered;
    private final byte[] token;
    private final ServerSocket server;
    private final Semaphore slots;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * Binds and starts accepting.
     *
     * @param readiness whether reads may be answered now; a GET, or an ordering write, is answered
     *                  {@link Frames#NOT_SERVING} when not
     * @param ordered   applies ordering writes, once per client request
     * @param port 0 for an ephemeral port
     * @param token cluster token the first frame must carry, or null
     */
    public BinaryServer(LruCache cache, Readiness readiness, OrderedWrites ordered, String bind, int port,
                        String token, int maxConnections) throws IOException {
        this.cache = cache;
        this.readiness = readiness;
        this.ordered = ordered;
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
        this.slots = new Semaphore(maxConnections);
        this.server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress(InetAddress.getByName(bind), port), 512);
        Thread.ofPlatform().daemon().name("binary-accept").start(this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket s = server.accept();
                if (!slots.tryAcquire()) {
                    log.warn("binary connection limit reached; refusing {}", s.getRemoteSocketAddress());
                    s.close();
                    continue;
                }
                open.add(s);
                Thread.ofPlatform().daemon().name("binary-conn").start(() -> serve(s));
            } catch (IOException e) {
                if (!closed) {
                    log.warn("accept failed: {}", e.toString());
                }
            }
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setTcpNoDelay(true);
            s.setKeepAlive(true); // masters keep these open between bursts: no read timeout
            DataInputStream in = new DataInputStream(new BufferedInputStream(s.getInputStream(), 64 * 1024));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(s.getOutputStream(), 64 * 1024));
            boolean authenticated = token == null;
            while (!closed) {
                Frames.Request r;
                try {
                    r = Frames.readRequest(in);
                } catch (EOFException e) {
                    break;
                }
                if (r.op() == Frames.HELLO) {
                    authenticated = token == null || r.value() != null
                            && MessageDigest.isEqual(token, r.value().getBytes(StandardCharsets.UTF_8));
                    Frames.writeReply(out, r.id(), authenticated ? Frames.OK : Frames.UNAUTHORIZED, false, 0, 0, null);
                    if (!authenticated) {
                        out.flush();
                        break;
                    }
                } else if (!authenticated) {
                    Frames.writeReply(out, r.id(), Frames.UNAUTHORIZED, false, 0, 0, "cluster token required");
                    out.flush();
                    break;
                } else {
                    handle(r, out);
                }
                if (in.available() == 0) {
                    out.flush();
                }
            }
            out.flush();
        } catch (SocketException e) {
            // peer went away; nothing to answer
        } catch (IOException | RuntimeException e) {
            log.warn("binary connection from {} failed: {}", s.getRemoteSocketAddress(), e.toString());
        } finally {
            open.remove(s);
            slots.release();
        }
    }

    private void handle(Frames.Request r, DataOutputStream out) throws IOException {
        if (r.key().isEmpty()) {
            Frames.writeReply(out, r.id(), Frames.BAD_REQUEST, false, 0, 0, "empty key");
            return;
        }
        switch (r.op()) {
            case Frames.GET -> {
                if (!readiness.serving()) {
                    Frames.writeReply(out, r.id(), Frames.NOT_SERVING, false, 0, 0, null);
                    return;
                }
                Entry e = cache.getOrTombstone(r.key());
                if (e == null) {
                    Frames.writeReply(out, r.id(), Frames.NOT_FOUND, false, 0, 0, null);
                } else {
                    Frames.writeReply(out, r.id(), Frames.OK, true, e.version(), e.expiresAt(), e.value()); // null: tombstone
                }
            }
            case Frames.PUT, Frames.PUT_ORDERING -> {
                if (r.op() == Frames.PUT_ORDERING && !readiness.serving()) {
                    Frames.writeReply(out, r.id(), Frames.NOT_SERVING, false, 0, 0, null);
                    return;
                }
                if (r.version() <= 0 || r.expiresAt() < 0 || r.value() == null) {
                    Frames.writeReply(out, r.id(), Frames.BAD_REQUEST, false, 0, 0, "put needs a value and a positive version");
                    return;
                }
                Entry e = new Entry(r.key(), r.value(), r.version(), r.expiresAt());
                PutOutcome o = r.op() == Frames.PUT_ORDERING ? ordered.put(e, r.requestId()) : cache.put(e);
                switch (o.result()) {
                    case TOO_LARGE -> Frames.writeReply(out, r.id(), Frames.TOO_LARGE, false, -1, 0, null);
                    case REPLAYED -> Frames.writeReply(out, r.id(), Frames.REPLAYED, true, o.version(), 0, null);
                    // a write reply's expiry slot carries the memory span
                    case APPLIED, SUPERSEDED -> Frames.writeReply(out, r.id(), Frames.OK, o.applied(), o.version(),
                            o.rememberedMillis(), null);
                }
            }
            case Frames.DELETE, Frames.DELETE_ORDERING -> {
                if (r.op() == Frames.DELETE_ORDERING && !readiness.serving()) {
                    Frames.writeReply(out, r.id(), Frames.NOT_SERVING, false, 0, 0, null);
                    return;
                }
                if (r.version() <= 0) {
                    Frames.writeReply(out, r.id(), Frames.BAD_REQUEST, false, 0, 0, "delete needs a positive version");
                    return;
                }
                DeleteOutcome o = r.op() == Frames.DELETE_ORDERING ? ordered.delete(r.key(), r.version(), r.requestId())
                        : cache.deleteAt(r.key(), r.version());
                Frames.writeReply(out, r.id(), o.replayed() ? Frames.REPLAYED : Frames.OK, o.existed(), o.version(),
                        o.rememberedMillis(), null);
            }
            default -> Frames.writeReply(out, r.id(), Frames.BAD_REQUEST, false, 0, 0, "unknown op " + r.op());
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket s : open) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
