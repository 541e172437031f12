package dev.dcache.common.client;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.BatchPutOutcome;
import dev.dcache.common.wire.DeleteOutcome;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.Heartbeat;
import dev.dcache.common.wire.HeartbeatReply;
import dev.dcache.common.wire.InternalPaths;
import dev.dcache.common.wire.Invalidation;
import dev.dcache.common.wire.KeyVersion;
import dev.dcache.common.wire.NodeHealth;
import dev.dcache.common.wire.PutOutcome;
import dev.dcache.common.wire.ReadReply;
import dev.dcache.common.wire.SyncReply;
import dev.dcache.common.wire.SyncRequest;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@link AuxClient} over the JDK's HTTP/1.1 client: pooled keep-alive connections, a connect
 * timeout on the client and a request timeout on every call. Called from virtual threads, so a
 * blocking {@code send} costs no platform thread while it waits.
 *
 * <p>Batches are bounded in bytes both ways: {@link #putBatch} sends at most about
 * {@link #BATCH_BYTES} of records per call (one call after another), so neither this side nor the
 * receiving node ever holds a whole bulk request's worth of encoded records, and
 * {@link #getBatch(NodeAddress, List, java.util.function.LongConsumer)} parses the answer as it
 * arrives, charging its bytes to the caller first.
 */
public final class HttpAuxClient implements AuxClient {
    private static final TypeReference<List<Entry>> ENTRY_LIST = new TypeReference<>() { };
    private static final TypeReference<List<String>> STRING_LIST = new TypeReference<>() { };
    /** Most bytes of records (keys and values, as characters) {@link #putBatch} sends in one call. */
    public static final long BATCH_BYTES = 2L << 20;
    /** What a record costs in a batch beyond its key and value: field names, version, expiry. */
    private static final long RECORD_OVERHEAD = 64;
    /** Idle connections a client keeps for reuse (see the static block). */
    static final int POOLED_CONNECTIONS = 8;

    static {
        // An idle connection in the JDK client's keep-alive pool keeps its last request's body
        // reachable (up to a batch of BATCH_BYTES) until the pool closes it, 30 s later: measured
        // as 24 MiB of a master's heap after a burst of bulk writes, gone once the connections
        // closed. Unbounded, the pool would keep one such body per connection a burst opened.
        // Read once, when the first client is built; an explicit -D wins.
        if (System.getProperty("jdk.httpclient.connectionPoolSize") == null) {
            System.setProperty("jdk.httpclient.connectionPoolSize", Integer.toString(POOLED_CONNECTIONS));
        }
    }

    private final HttpClient http;
    private final ExecutorService executor;
    private final ObjectMapper mapper;
    private final Duration requestTimeout;
    private final String token;

    /**
     * @param connectTimeout bound on establishing a connection
     * @param requestTimeout bound on each whole call once connected
     * @param token          cluster token sent as {@code X-Cluster-Token}, or null
     */
    public HttpAuxClient(ObjectMapper mapper, Duration connectTimeout, Duration requestTimeout, String token) {
        this.mapper = mapper;
        this.requestTimeout = requestTimeout;
        this.token = token;
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .executor(executor)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    @Override
    public ReadReply read(NodeAddress node, String key) throws AuxCallException {
        HttpResponse<byte[]> r = send(node, request(node, InternalPaths.ENTRY + "?key=" + enc(key)).GET());
        if (r.statusCode() == 404) {
            return ReadReply.of(null);
        }
        if (notServing(r.statusCode(), r.headers())) {
            return ReadReply.NOT_SERVING;
        }
        return ReadReply.of(read(node, expectOk(node, r), Entry.class));
    }

    @Override
    public PutOutcome put(NodeAddress node, Entry entry, WriteMode mode) throws AuxCallException {
        HttpResponse<byte[]> r = send(node, request(node, InternalPaths.ENTRY + ordering(mode, '?')).PUT(body(entry)));
        return read(node, expectOk(node, r), PutOutcome.class);
    }

    @Override
    public DeleteOutcome delete(NodeAddress node, String key, long version, WriteMode mode) throws AuxCallException {
        HttpResponse<byte[]> r = send(node, request(node,
                InternalPaths.ENTRY + "?key=" + enc(key) + "&version=" + version + ordering(mode, '&')).DELETE());
        return read(node, expectOk(node, r), DeleteOutcome.class);
    }

    /** The query parameters that make a write an ordering one, after {@code separator}; nothing for a copy. */
    private static String ordering(WriteMode mode, char separator) {
        if (!mode.ordering()) {
            return "";
        }
        return separator + InternalPaths.ORDERING_PARAM + "=true"
                + (mode.requestId() == null ? "" : "&" + InternalPaths.REQUEST_ID_PARAM + "=" + enc(mode.requestId()));
    }

    @Override
    public List<Entry> getBatch(NodeAddress node, List<String> keys) throws AuxCallException {
        return getBatch(node, keys, bytes -> { });
    }

    @Override
    public List<Entry> getBatch(NodeAddress node, List<String> keys, java.util.function.LongConsumer charge)
            throws AuxCallException {
        HttpResponse<java.io.InputStream> r = send(node, request(node, InternalPaths.BATCH_GET).POST(body(keys)),
                HttpResponse.BodyHandlers.ofInputStream());
        // the request timeout ends with the headers: the streamed answer is bounded by a watchdog
        try (Watchdog dog = new Watchdog(requestTimeout); Charged in = new Charged(r.body(), charge)) {
            if (r.statusCode() != 200) {
                expectOk(node, r.statusCode(), r.headers(), in.readNBytes(200));
            }
            try {
                return mapper.readValue(in, ENTRY_LIST);
            } catch (IOException e) {
                if (in.refusal != null) {
                    throw in.refusal;
                }
                throw unread(node, dog, e);
            }
        } catch (IOException e) {
            throw new AuxCallException(node.id(), AuxCallException.Kind.IO, "answer not read: " + e, e);
        }
    }

    private AuxCallException unread(NodeAddress node, Watchdog dog, IOException e) {
        return dog.fired()
                ? new AuxCallException(node.id(), AuxCallException.Kind.TIMEOUT,
                        "answer not read within " + requestTimeout.toMillis() + " ms", e)
                : new AuxCallException(node.id(), AuxCallException.Kind.IO, "answer not read: " + e, e);
    }

    /** Runs the watchdogs of streamed answers. */
    private static final java.util.concurrent.ScheduledExecutorService WATCHDOGS =
            Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon().name("answer-watchdog").unstarted(r));

    /**
     * Interrupts the thread that created it if it is not closed within {@code timeout}: a blocked
     * read of a streamed answer then fails (the JDK client's response stream waits interruptibly).
     * Closing it clears an interrupt it caused, so the thread goes on clean.
     */
    private static final class Watchdog implements AutoCloseable {
        private final Thread reader = Thread.currentThread();
        private final java.util.concurrent.ScheduledFuture<?> alarm;
        private boolean done;
        private boolean fired;

        Watchdog(Duration timeout) {
            this.alarm = WATCHDOGS.schedule(this::fire, timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        }

        private synchronized void fire() {
            if (!done) {
                fired = true;
                reader.interrupt();
            }
        }

        synchronized boolean fired() {
            return fired;
        }

        @Override
        public void close() {
            alarm.cancel(false);
            synchronized (this) {
                done = true;
                if (fired) {
                    Thread.interrupted(); // ours, not the caller's
                }
            }
        }
    }

    @Override
    public BatchPutOutcome putBatch(NodeAddress node, List<Entry> entries, WriteMode mode) throws AuxCallException {
        int applied = 0;
        int stale = 0;
        List<KeyVersion> superseded = new java.util.ArrayList<>();
        boolean listed = true;
        for (List<Entry> chunk : chunks(entries)) {
            HttpResponse<byte[]> r = send(node, request(node, InternalPaths.BATCH_PUT + ordering(mode, '?'))
                    .POST(body(chunk)));
            BatchPutOutcome o = read(node, expectOk(node, r), BatchPutOutcome.class);
            applied += o.applied();
            stale += o.stale();
            if (o.superseded() == null) {
                listed = false;
            } else {
                superseded.addAll(o.superseded());
            }
        }
        return new BatchPutOutcome(applied, stale, listed ? superseded : null);
    }

    /**
     * {@code entries} cut in order into runs of at most {@link #BATCH_BYTES} (a record larger than
     * that alone); one empty run for no entries.
     */
    static List<List<Entry>> chunks(List<Entry> entries) {
        List<List<Entry>> out = new java.util.ArrayList<>();
        int from = 0;
        do {
            int to = from;
            long bytes = 0;
            while (to < entries.size() && (to == from || bytes + size(entries.get(to)) <= BATCH_BYTES)) {
                bytes += size(entries.get(to++));
            }
            out.add(entries.subList(from, to));
            from = to;
        } while (from < entries.size());
        return out;
    }

    private static long size(Entry e) {
        return RECORD_OVERHEAD + e.key().length() + (e.value() == null ? 0 : e.value().length());
    }

    @Override
    public List<String> deleteBatch(NodeAddress node, List<KeyVersion> deletes) throws AuxCallException {
        HttpResponse<byte[]> r = send(node, request(node, InternalPaths.BATCH_DELETE).POST(body(deletes)));
        return read(node, expectOk(node, r), STRING_LIST);
    }

    @Override
    public NodeHealth health(NodeAddress node) throws AuxCallException {
        HttpResponse<byte[]> r = send(node, request(node, InternalPaths.HEALTH).GET());
        return read(node, expectOk(node, r), NodeHealth.class);
    }

    @Override
    public HeartbeatReply heartbeat(NodeAddress node, Heartbeat heartbeat) throws AuxCallException {
        HttpResponse<byte[]> r = send(node, request(node, InternalPaths.HEARTBEAT).POST(body(heartbeat)));
        return read(node, expectOk(node, r), HeartbeatReply.class);
    }

    /**
     * Asks a peer to compare the records both own ({@link InternalPaths#SYNC}). Not part of
     * {@link AuxClient}: it is the aux-to-aux direction.
     */
    public SyncReply sync(NodeAddress peer, SyncRequest request) throws AuxCallException {
        HttpResponse<byte[]> r = send(peer, request(peer, InternalPaths.SYNC).POST(body(request)));
        return read(peer, expectOk(peer, r), SyncReply.class);
    }

    /**
     * Sends records an aux node moved to a master's backup ({@link InternalPaths#BACKUP}), in calls
     * of at most {@link #BATCH_BYTES} like {@link #putBatch}. Not part of {@link AuxClient}: it is
     * the aux-to-master direction.
     */
    public void backup(NodeAddress master, List<Entry> records) throws AuxCallException {
        for (List<Entry> chunk : chunks(records)) {
            expectOk(master, send(master, request(master, InternalPaths.BACKUP).POST(body(chunk))));
        }
    }

    /**
     * Pushes keys this master wrote to another master's near cache ({@link InternalPaths#INVALIDATE}).
     * Not part of {@link AuxClient}: it is the master-to-master direction.
     */
    public void invalidate(NodeAddress master, Invalidation invalidation) throws AuxCallException {
        expectOk(master, send(master, request(master, InternalPaths.INVALIDATE).POST(body(invalidation))));
    }

    @Override
    public void close() {
        http.close();
        executor.close();
    }

    private HttpRequest.Builder request(NodeAddress node, String pathAndQuery) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://" + node.host() + ":" + node.port() + pathAndQuery))
                .timeout(requestTimeout)
                .header("Content-Type", "application/json");
        if (token != null) {
            b.header("X-Cluster-Token", token);
        }
        return b;
    }

    private HttpRequest.BodyPublisher body(Object value) {
        try {
            return HttpRequest.BodyPublishers.ofByteArray(mapper.writeValueAsBytes(value));
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise " + value.getClass().getSimpleName(), e);
        }
    }

    private HttpResponse<byte[]> send(NodeAddress node, HttpRequest.Builder request) throws AuxCallException {
        return send(node, request, HttpResponse.BodyHandlers.ofByteArray());
    }

    private <T> HttpResponse<T> send(NodeAddress node, HttpRequest.Builder request, HttpResponse.BodyHandler<T> handler)
            throws AuxCallException {
        try {
            return http.send(request.build(), handler);
        } catch (HttpConnectTimeoutException e) {
            throw new AuxCallException(node.id(), AuxCallException.Kind.TIMEOUT, "connect timed out", e);
        } catch (HttpTimeoutException e) {
            throw new AuxCallException(node.id(), AuxCallException.Kind.TIMEOUT, "request timed out", e);
        } catch (ConnectException e) {
            throw new AuxCallException(node.id(), AuxCallException.Kind.REFUSED, "connection refused", e);
        } catch (IOException e) {
            throw new AuxCallException(node.id(), AuxCallException.Kind.IO, "I/O error: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AuxCallException(node.id(), AuxCallException.Kind.IO, "interrupted", e);
        }
    }

    private static boolean notServing(int status, java.net.http.HttpHeaders headers) {
        return status == 503 && headers.firstValue(InternalPaths.NOT_SERVING_HEADER).isPresent();
    }

    private static byte[] expectOk(NodeAddress node, HttpResponse<byte[]> r) throws AuxCallException {
        return expectOk(node, r.statusCode(), r.headers(), r.body());
    }

    private static byte[] expectOk(NodeAddress node, int status, java.net.http.HttpHeaders headers, byte[] body)
            throws AuxCallException {
        if (notServing(status, headers)) {
            throw new AuxCallException(node.id(), AuxCallException.Kind.NOT_SERVING, "does not serve reads now", null);
        }
        if (status != 200) {
            String text = new String(body, StandardCharsets.UTF_8);
            throw new AuxCallException(node.id(), AuxCallException.Kind.BAD_STATUS,
                    "status " + status + ": " + (text.length() > 200 ? text.substring(0, 200) : text), null);
        }
        return body;
    }

    /**
     * An answer's body that tells {@code charge} of every byte read before handing it on; a refusal
     * thrown by {@code charge} is kept (the parser wraps what its stream throws) and the read fails.
     */
    private static final class Charged extends java.io.FilterInputStream {
        private final java.util.function.LongConsumer charge;
        private RuntimeException refusal;

        Charged(java.io.InputStream in, java.util.function.LongConsumer charge) {
            super(in);
            this.charge = charge;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (refusal != null) {
                throw new IOException("answer refused: " + refusal.getMessage());
            }
            int n = super.read(b, off, len);
            if (n > 0) {
                try {
                    charge.accept(n);
                } catch (RuntimeException e) {
                    refusal = e;
                    throw new IOException("answer refused: " + e.getMessage());
                }
            }
            return n;
        }
    }

    private <T> T read(NodeAddress node, byte[] body, Class<T> type) throws AuxCallException {
        try {
            return mapper.readValue(body, type);
        } catch (IOException e) {
            throw new AuxCallException(node.id(), AuxCallException.Kind.BAD_STATUS, "unreadable answer: " + e.getMessage(), e);
        }
    }

    private <T> T read(NodeAddress node, byte[] body, TypeReference<T> type) throws AuxCallException {
        try {
            return mapper.readValue(body, type);
        } catch (IOException e) {
            throw new AuxCallException(node.id(), AuxCallException.Kind.BAD_STATUS, "unreadable answer: " + e.getMessage(), e);
        }
    }

    private static String enc(String key) {
        return URLEncoder.encode(key, StandardCharsets.UTF_8);
    }
}
