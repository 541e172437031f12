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

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * {@link AuxClient} whose single-key calls use the binary protocol ({@link Frames}); batch
 * calls and health go to the HTTP client it wraps.
 *
 * <p>Per node it keeps a few long-lived TCP connections ({@link BinaryPool}), each shared by any
 * number of callers ({@link BinaryConnection}): a caller writes its frame and gets a future; one
 * reader thread per connection completes futures by request id. Frames written together leave
 * in one syscall: a writer that finds the connection busy hands its frame to the connection's
 * writer thread, which writes all it finds under one flush.
 *
 * <p>Bounded: connecting is bounded by the connect timeout, each call by the request timeout;
 * a late reply to a timed-out call is dropped. Deadlines are enforced by one sweeper thread
 * (every few milliseconds) reading the injected {@link Ticker}, rather than a timer per call,
 * which on virtual threads costs a scheduled task per request.
 */
public final class BinaryAuxClient implements AuxClient {
    private final HttpAuxClient http;
    private final int connectTimeoutMillis;
    private final long requestTimeoutNanos;
    private final String token;
    private final int connectionsPerNode;
    private final Ticker ticker;
    private final ConcurrentHashMap<NodeAddress, BinaryPool> pools = new ConcurrentHashMap<>();
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
        pools.values().forEach(BinaryPool::close);
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
    interface Decoder<T> {
        T decode(Frames.Reply reply) throws AuxCallException;
    }

    /**
     * Puts a request on the wire and returns at once; never blocks the caller on the network. With
     * an open connection the frame is written here (a loopback write into the socket buffer, or
     * into the buffer a writer ahead of us flushes); without one, a virtual thread connects first.
     */
    private <T> CompletableFuture<T> send(NodeAddress node, byte op, long version, long expiresAt, String key,
                                          String value, String requestId, Decoder<T> decoder) {
        BinaryPool pool = pools.computeIfAbsent(node,
                n -> new BinaryPool(n, http, connectionsPerNode, connects, connectTimeoutMillis, token));
        CompletableFuture<T> answer = new CompletableFuture<>();
        BinaryConnection open = pool.openConnection();
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

    /**
     * Fails overdue calls; run every {@link #SWEEP_MILLIS}: one timer for all calls instead of one
     * per call. Package-private so a test with its own ticker can sweep right after advancing it.
     */
    void sweepDeadlines() {
        long now = ticker.read();
        for (BinaryPool pool : pools.values()) {
            pool.expire(now);
        }
    }
}
