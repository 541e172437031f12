package dev.dcache.common.client;

import dev.dcache.common.proto.Frames;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.time.Ticker;
import dev.dcache.common.wire.BatchPutOutcome;
import dev.dcache.common.wire.DeleteOutcome;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.Heartbeat;
import dev.dcache.common.wire.HeartbeatReply;
import dev.dcache.common.wire.KeyVersion;
import dev.dcache.common.wire.NodeHealth;
import dev.dcache.common.wire.PutOutcome;
import dev.dcache.common.wire.ReadReply;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.net.SocketTimeoutException;
import java.nio.channels.Channels;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link AuxClient} whose single-key calls use the binary protocol ({@link Frames}); batch
 * calls and health go to the HTTP client it wraps.
 *
 * <p>Per node it keeps a few long-lived TCP connections, each shared by any number of callers:
 * a caller writes its frame under the connection's write lock and gets a future; one reader
 * thread per connection completes futures by request id. The write lock also batches flushes:
 * a writer that sees others queued behind it leaves the flush to the last of them, so under load
 * many frames leave in one syscall. A node's binary port is learned from its {@code /health} and
 * forgotten when a connection fails, so a restarted node on a new port is found again.
 *
 * <p>Bounded: connecting is bounded by the connect timeout, each call by the request timeout;
 * a late reply to a timed-out call is dropped. Deadlines are enforced by one sweeper thread
 * (every few milliseconds) rather than a timer per call, which on virtual threads costs a
 * scheduled task per request. Deadlines are read from a {@link Ticker}, so a test that advances
 * its own ticker makes calls time out without waiting.
 */
public final class BinaryAuxClient implements AuxClient {
    private final HttpAuxClient http;
    private final int connectTimeoutMillis;
    private final long requestTimeoutNanos;
    private final String token;
    private final int connectionsPerNode;
    private final Ticker ticker;
    private final ConcurrentHashMap<NodeAddress, Pool> pools = new ConcurrentHashMap<>();
    private static final long SWEEP_MILLIS = 5;
    /** Requests one connection may have waiting for replies; past it, calls fail at once. */
    static final int MAX_PENDING = 4096;
    /**
     * Request bytes a thread that must not block may leave unread by the node, far below what the
     * kernel buffers of a connection hold (the receive window alone starts at 128 KiB on Linux).
     */
    static final int NON_BLOCKING_WRITE_BYTES = 64 * 1024;
    /** Platform threads that connect sockets (see {@code Pool.connectOnPlatformThread}). */
    private final java.util.concurrent.ExecutorService connects = java.util.concurrent.Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("aux-connect-", 0).factory());
    private final java.util.concurrent.ScheduledExecutorService deadlines =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "aux-call-deadlines");
                t.setDaemon(true);
                return t;
            });

    /**
     * A client timed by {@link Ticker#system()}.
     *
     * @param http               used for batch calls and to learn binary ports
     * @param connectionsPerNode connections kept per aux node
     */
    public BinaryAuxClient(HttpAuxClient http, Duration connectTimeout, Duration requestTimeout, String token,
                           int connectionsPerNode) {
        this(http, connectTimeout, requestTimeout, token, connectionsPerNode, Ticker.system());
    }

    /**
     * @param http               used for batch calls and to learn binary ports
     * @param connectionsPerNode connections kept per aux node
     * @param ticker             what request deadlines are measured on
     */
    public BinaryAuxClient(HttpAuxClient http, Duration connectTimeout, Duration requestTimeout, String token,
                           int connectionsPerNode, Ticker ticker) {
        this.http = http;
        this.connectTimeoutMillis = (int) Math.max(1, connectTimeout.toMillis());
        this.requestTimeoutNanos = requestTimeout.toNanos();
        this.token = token;
        this.connectionsPerNode = connectionsPerNode;
        this.ticker = ticker;
        deadlines.scheduleWithFixedDelay(this::sweepDeadlines, SWEEP_MILLIS, SWEEP_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public ReadReply read(NodeAddress node, String key) throws AuxCallException {
        return AuxClient.await(startRead(node, key), node.id());
    }

    @Override
    public PutOutcome put(NodeAddress node, Entry entry, WriteMode mode) throws AuxCallException {
        return AuxClient.await(startPut(node, entry, mode), node.id());
    }

    @Override
    public DeleteOutcome delete(NodeAddress node, String key, long version, WriteMode mode) throws AuxCallException {
        return AuxClient.await(startDelete(node, key, version, mode), node.id());
    }

    @Override
    public CompletableFuture<ReadReply> startRead(NodeAddress node, String key) {
        return send(node, Frames.GET, 0, 0, key, null, null, r -> switch (r.status()) {
            case Frames.OK -> ReadReply.of(new Entry(key, r.value(), r.version(), r.expiresAt())); // value null: tombstone
            case Frames.NOT_FOUND -> ReadReply.of(null);
            case Frames.NOT_SERVING -> ReadReply.NOT_SERVING;
            default -> throw bad(node, r);
        });
    }

    @Override
    public CompletableFuture<PutOutcome> startPut(NodeAddress node, Entry entry, WriteMode mode) {
        byte op = mode.ordering() ? Frames.PUT_ORDERING : Frames.PUT;
        return send(node, op, entry.version(), entry.expiresAt(), entry.key(), entry.value(), mode.requestId(),
                r -> switch (r.status()) {
                    case Frames.OK -> (r.flag() ? PutOutcome.applied(r.version()) : PutOutcome.superseded(r.version()))
                            .remembering(r.expiresAt()); // its memory span
                    case Frames.REPLAYED -> PutOutcome.replayed(r.version());
                    case Frames.TOO_LARGE -> PutOutcome.ofTooLarge();
                    case Frames.NOT_SERVING -> throw notServing(node);
                    default -> throw bad(node, r);
                });
    }

    @Override
    public CompletableFuture<DeleteOutcome> startDelete(NodeAddress node, String key, long version, WriteMode mode) {
        byte op = mode.ordering() ? Frames.DELETE_ORDERING : Frames.DELETE;
        return send(node, op, version, 0, key, null, mode.requestId(), r -> switch (r.status()) {
            case Frames.OK -> new DeleteOutcome(r.flag(), r.version(), false, r.expiresAt()); // its memory span
            case Frames.REPLAYED -> new DeleteOutcome(r.flag(), r.version(), true);
            case Frames.NOT_SERVING -> throw notServing(node);
            default -> throw bad(node, r);
        });
    }

    @Override
    public List<Entry> getBatch(NodeAddress node, List<String> keys) throws AuxCallException {
        return http.getBatch(node, keys);
    }

    @Override
    public List<Entry> getBatch(NodeAddress node, List<String> keys, java.util.function.LongConsumer charge)
            throws AuxCallException {
        return http.getBatch(node, keys, charge);
    }

    @Override
    public BatchPutOutcome putBatch(NodeAddress node, List<Entry> entries, WriteMode mode) throws AuxCallException {
        return http.putBatch(node, entries, mode);
    }

    @Override
    public List<String> deleteBatch(NodeAddress node, List<KeyVersion> deletes) throws AuxCallException {
        return http.deleteBatch(node, deletes);
    }

    @Override
    public NodeHealth health(NodeAddress node) throws AuxCallException {
        return http.health(node);
    }

    @Override
    public HeartbeatReply heartbeat(NodeAddress node, Heartbeat heartbeat) throws AuxCallException {
        return http.heartbeat(node, heartbeat);
    }

    @Override
    public void close() {
        deadlines.shutdownNow();
        connects.shutdownNow();
        pools.values().forEach(Pool::close);
        pools.clear();
    }

    private static AuxCallException notServing(NodeAddress node) {
        return new AuxCallException(node.id(), AuxCallException.Kind.NOT_SERVING, "does not serve now: not an ordering owner",
                null);
    }

    private static AuxCallException bad(NodeAddress node, Frames.Reply r) {
        return new AuxCallException(node.id(), AuxCallException.Kind.BAD_STATUS,
                "binary reply status " + r.status() + (r.value() == null ? "" : ": " + r.value()), null);
    }

    /** Decodes a reply; throws for a status that is not an answer. */
    @FunctionalInterface
    private interface Decoder<T> {
        T decode(Frames.Reply reply) throws AuxCallException;
    }

    /**
     * Puts a request on the wire and returns at once; never blocks the caller on the network. With
     * an open connection the frame is written here (a loopback write into the socket buffer, or
     * into the buffer a writer ahead of us flushes); without one, a virtual thread connects first.
     */
    private <T> CompletableFuture<T> send(NodeAddress node, byte op, long version, long expiresAt, String key,
                                          String value, String requestId, Decoder<T> decoder) {
        Pool pool = pools.computeIfAbsent(node, Pool::new);
        CompletableFuture<T> answer = new CompletableFuture<>();
        Connection open = pool.openConnection();
        if (open != null) {
            open.send(op, version, expiresAt, key, value, requestId, ticker.read() + requestTimeoutNanos, node,
                    decoder, answer);
        } else {
            Thread.ofVirtual().name("aux-connect-" + node.id()).start(() -> {
                try {
                    pool.connection().send(op, version, expiresAt, key, value, requestId,
                            ticker.read() + requestTimeoutNanos, node, decoder, answer);
                } catch (AuxCallException | RuntimeException | Error e) {
                    answer.completeExceptionally(e); // never leave a caller without an answer
                }
            });
        }
        return answer;
    }

    /** A call waiting for its reply, and when it gives up. */
    private static final class Waiting {
        final NodeAddress node;
        final Decoder<?> decoder;
        final CompletableFuture<?> answer;
        final long deadlineNanos;
        /** The connection's byte count once this frame was written (set under the write lock). */
        volatile long writtenAt;

        Waiting(NodeAddress node, Decoder<?> decoder, CompletableFuture<?> answer, long deadlineNanos) {
            this.node = node;
            this.decoder = decoder;
            this.answer = answer;
            this.deadlineNanos = deadlineNanos;
        }

        @SuppressWarnings("unchecked")
        void complete(Frames.Reply reply) {
            CompletableFuture<Object> f = (CompletableFuture<Object>) answer;
            try {
                f.complete(decoder.decode(reply));
            } catch (AuxCallException | RuntimeException e) {
                f.completeExceptionally(e);
            }
        }

        void fail(AuxCallException.Kind kind, String message, Throwable cause) {
            answer.completeExceptionally(new AuxCallException(node.id(), kind, message, cause));
        }
    }

    /** A request frame on its way to the wire, and the call waiting for its reply. */
    private record Frame(int id, Waiting waiting, long bound, byte op, long version, long expiresAt, String key,
                         String value, String requestId) {
    }

    /**
     * Fails overdue calls; run every {@link #SWEEP_MILLIS}: one timer for all calls instead of one
     * per call. Package-private so a test with its own ticker can sweep right after advancing it.
     */
    void sweepDeadlines() {
        long now = ticker.read();
        for (Pool pool : pools.values()) {
            pool.expire(now);
        }
    }

    /** The connections to one node. */
    private final class Pool {
        private final NodeAddress node;
        private final Connection[] slots;
        private final ReentrantLock[] slotLocks;
        private volatile int binaryPort; // 0 = not known yet

        Pool(NodeAddress node) {
            this.node = node;
            this.slots = new Connection[connectionsPerNode];
            this.slotLocks = new ReentrantLock[connectionsPerNode];
            for (int i = 0; i < connectionsPerNode; i++) {
                slotLocks[i] = new ReentrantLock();
            }
        }

        /** The slot a call uses: any one of the node's connections. */
        private int slot() {
            return connectionsPerNode == 1 ? 0 : ThreadLocalRandom.current().nextInt(connectionsPerNode);
        }

        /** An open connection if one is at hand, without connecting; else null. */
        Connection openConnection() {
            Connection c = slots[slot()];
            return c != null && c.isOpen() ? c : null;
        }

        /** An open connection, connecting if needed (blocks up to the connect timeout). */
        Connection connection() throws AuxCallException {
            int i = slot();
            Connection c = slots[i];
            if (c != null && c.isOpen()) {
                return c;
            }
            slotLocks[i].lock();
            try {
                c = slots[i];
                if (c == null || !c.isOpen()) {
                    c = open();
                    slots[i] = c;
                }
                return c;
            } finally {
                slotLocks[i].unlock();
            }
        }

        private Connection open() throws AuxCallException {
            int port = binaryPort;
            if (port == 0) {
                NodeHealth h = http.health(node);
                if (h.binaryPort() <= 0) {
                    throw new AuxCallException(node.id(), AuxCallException.Kind.BAD_STATUS, "binary protocol disabled", null);
                }
                port = h.binaryPort();
                binaryPort = port;
            }
            SocketChannel ch = null;
            try {
                ch = connectOnPlatformThread(new InetSocketAddress(node.host(), port));
                return new Connection(node, ch);
            } catch (ConnectException e) {
                binaryPort = 0;
                closeQuietly(ch);
                throw new AuxCallException(node.id(), AuxCallException.Kind.REFUSED, "connection refused", e);
            } catch (SocketTimeoutException e) {
                binaryPort = 0;
                closeQuietly(ch);
                throw new AuxCallException(node.id(), AuxCallException.Kind.TIMEOUT, "connect timed out", e);
            } catch (IOException e) {
                binaryPort = 0;
                closeQuietly(ch);
                throw new AuxCallException(node.id(), AuxCallException.Kind.IO, "cannot connect: " + e, e);
            }
        }

        /**
         * {@link #connect} on a platform thread, waited for: the JDK turns a socket non-blocking for
         * good when a virtual thread connects it. Bounded by the connect timeout; connects to one
         * slot are serialised by its lock, so the pool never holds more threads than slots.
         */
        private SocketChannel connectOnPlatformThread(InetSocketAddress address) throws IOException {
            java.util.concurrent.Future<SocketChannel> connecting = connects.submit(() -> connect(address));
            try {
                return connecting.get();
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof IOException io) {
                    throw io;
                }
                throw new IOException(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                connecting.cancel(true);
                throw new java.io.InterruptedIOException("interrupted while connecting");
            } catch (java.util.concurrent.RejectedExecutionException e) {
                throw new IOException("client closed", e);
            }
        }

        /**
         * A connected channel in blocking mode. The connect itself waits on a selector of its own,
         * bounded by the connect timeout; the JDK's timed connect (and any use by a virtual thread)
         * would switch the socket to non-blocking for good, and every read of the reply reader
         * would then cost a failed read and a {@code poll} before the read that gets data.
         */
        private SocketChannel connect(InetSocketAddress address) throws IOException {
            SocketChannel ch = SocketChannel.open();
            try {
                ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                ch.setOption(StandardSocketOptions.SO_KEEPALIVE, true);
                ch.configureBlocking(false);
                if (!ch.connect(address)) {
                    try (Selector selector = Selector.open()) {
                        ch.register(selector, SelectionKey.OP_CONNECT);
                        if (selector.select(connectTimeoutMillis) == 0) {
                            throw new SocketTimeoutException("connect timed out");
                        }
                        ch.finishConnect();
                    } // closing the selector deregisters the channel, which blocking mode requires
                }
                ch.configureBlocking(true);
                return ch;
            } catch (IOException | RuntimeException e) {
                closeQuietly(ch);
                throw e;
            }
        }

        void expire(long nowNanos) {
            for (Connection c : slots) {
                if (c != null) {
                    c.expire(nowNanos);
                }
            }
        }

        void close() {
            for (Connection c : slots) {
                if (c != null) {
                    c.close(new IOException("client closed"));
                }
            }
        }
    }

    /**
     * One multiplexed connection: many writers, one reader. Its socket stays in blocking mode and
     * only platform threads touch it: the reader, callers that write without waiting, and a writer
     * thread of its own for frames handed off (by virtual threads, and when the lock is taken).
     */
    private final class Connection {
        private final NodeAddress node;
        private final SocketChannel socket;
        /** Frames handed to {@link #writeLoop}, which writes all it finds and flushes once. */
        private final LinkedBlockingQueue<Frame> handedOff = new LinkedBlockingQueue<>();
        private final Thread writer;
        private final DataOutputStream out;
        private final DataInputStream in;
        private final ReentrantLock writeLock = new ReentrantLock();
        private final ConcurrentHashMap<Integer, Waiting> pending = new ConcurrentHashMap<>();
        private final AtomicInteger ids = new AtomicInteger();
        /** Upper bound of the request bytes written so far; guarded by {@link #writeLock}. */
        private long written;
        /** {@link Waiting#writtenAt} of the latest answered request; written by the reader only. */
        private volatile long acked;
        private volatile boolean open = true;

        Connection(NodeAddress node, SocketChannel socket) throws IOException {
            this.node = node;
            this.socket = socket;
            this.out = new DataOutputStream(new BufferedOutputStream(Channels.newOutputStream(socket), 64 * 1024));
            this.in = new DataInputStream(new BufferedInputStream(Channels.newInputStream(socket), 64 * 1024));
            if (token != null) {
                // pipelined: not awaited (buffered, it leaves with the first request); a refusal
                // closes the connection and fails what follows
                Frames.writeRequest(out, 0, Frames.HELLO, 0, 0, "", token);
            }
            Thread.ofPlatform().daemon().name("aux-reader-" + node.id()).start(this::readLoop);
            this.writer = Thread.ofPlatform().daemon().name("aux-writer-" + node.id()).start(this::writeLoop);
        }

        boolean isOpen() {
            return open;
        }

        /**
         * Sends one request; {@code answer} is completed by the reader, the sweeper or a failure.
         *
         * <p>Never waits. A platform thread (Jetty's selector, a reply reader, the deadline sweeper:
         * they all end up here through the asynchronous data path) writes the frame itself when the
         * lock is free and the bytes the node has not yet read stay under
         * {@link #NON_BLOCKING_WRITE_BYTES}, which the kernel's buffers always absorb. Otherwise, and
         * always for a virtual thread (which would turn the socket non-blocking), the frame goes to
         * the connection's writer thread. The call is registered first, so {@link #MAX_PENDING}
         * bounds the frames handed off too, and one whose deadline passed meanwhile is not written.
         */
        <T> void send(byte op, long version, long expiresAt, String key, String value, String requestId,
                      long deadlineNanos, NodeAddress node, Decoder<T> decoder, CompletableFuture<T> answer) {
            if (pending.size() >= MAX_PENDING) {
                // the node has stopped reading (paused, overloaded): fail fast rather than queue
                answer.completeExceptionally(new AuxCallException(node.id(), AuxCallException.Kind.TIMEOUT,
                        MAX_PENDING + " requests already waiting for this node", null));
                return;
            }
            int id = ids.incrementAndGet() & Integer.MAX_VALUE;
            if (id == 0) {
                id = 1; // 0 is the HELLO's
            }
            Waiting w = new Waiting(node, decoder, answer, deadlineNanos);
            pending.put(id, w);
            Frame frame = new Frame(id, w, Frames.maxRequestBytes(key, value), op, version, expiresAt, key, value,
                    requestId);
            if (!Thread.currentThread().isVirtual() && frame.bound() <= NON_BLOCKING_WRITE_BYTES
                    && writeLock.tryLock()) {
                try {
                    if (written - acked + frame.bound() <= NON_BLOCKING_WRITE_BYTES) {
                        if (write(frame)) {
                            flush(frame);
                        }
                        return;
                    }
                } finally {
                    writeLock.unlock();
                }
            }
            handedOff.add(frame);
            if (!open && handedOff.remove(frame)) {
                w.fail(AuxCallException.Kind.IO, "connection to " + node.id() + " is closed", null);
                pending.remove(id);
            }
        }

        /**
         * Writes the frames handed off, as many as are queued under one lock and one flush: under
         * load they leave in one syscall. Runs until the connection closes.
         */
        private void writeLoop() {
            try {
                while (open) {
                    Frame frame = handedOff.take();
                    writeLock.lock();
                    try {
                        Frame last = null;
                        for (Frame f = frame; f != null; f = handedOff.poll()) {
                            if (pending.get(f.id()) == f.waiting() && write(f)) { // else timed out or failed meanwhile
                                last = f;
                            }
                        }
                        if (last != null) {
                            flush(last);
                        }
                    } finally {
                        writeLock.unlock();
                    }
                }
            } catch (InterruptedException closed) {
                // close() stops the writer; it fails whatever is still waiting
            }
        }

        /** Buffers one frame; under {@link #writeLock}. False when the connection failed (the call is failed). */
        private boolean write(Frame f) {
            try {
                if (!open) {
                    throw new IOException("connection to " + node.id() + " is closed");
                }
                written += f.bound();
                f.waiting().writtenAt = written;
                Frames.writeRequest(out, f.id(), f.op(), f.version(), f.expiresAt(), f.key(), f.value(), f.requestId());
                return true;
            } catch (IOException e) {
                failed(f, e);
                return false;
            }
        }

        /** Sends what is buffered; under {@link #writeLock}. {@code last} is failed with the connection. */
        private void flush(Frame last) {
            try {
                out.flush();
            } catch (IOException e) {
                failed(last, e);
            }
        }

        private void failed(Frame f, IOException e) {
            Waiting failed = pending.remove(f.id());
            if (failed != null) {
                failed.fail(AuxCallException.Kind.IO, "connection failed: " + e, e);
            }
            close(e);
        }

        /** Fails the calls whose deadline passed; their late replies will find no one waiting. */
        void expire(long nowNanos) {
            for (var it = pending.entrySet().iterator(); it.hasNext(); ) {
                Waiting p = it.next().getValue();
                if (nowNanos - p.deadlineNanos >= 0) {
                    it.remove();
                    p.fail(AuxCallException.Kind.TIMEOUT, "request timed out", null);
                }
            }
        }

        private void readLoop() {
            try {
                while (open) {
                    Frames.Reply r = Frames.readReply(in);
                    if (r.id() == 0) {
                        if (r.status() != Frames.OK) {
                            throw new IOException(node.id() + " refused the cluster token");
                        }
                        continue;
                    }
                    Waiting p = pending.remove(r.id());
                    if (p != null) {
                        // replies come in request order: the node has read everything up to this frame
                        acked = Math.max(acked, p.writtenAt);
                        p.complete(r);
                    }
                }
            } catch (IOException e) {
                close(e);
            }
        }

        void close(IOException cause) {
            open = false;
            closeQuietly(socket);
            writer.interrupt();
            for (var it = pending.values().iterator(); it.hasNext(); ) {
                it.next().fail(AuxCallException.Kind.IO, "connection failed: " + cause, cause);
                it.remove();
            }
        }
    }

    private static void closeQuietly(java.io.Closeable s) {
        if (s == null) {
            return;
        }
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing to do
        }
    }
}
