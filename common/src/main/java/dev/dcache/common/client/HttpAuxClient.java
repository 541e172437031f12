package dev.dcache.common.client;

import static dev.dcache.common.client.AuxHttpCalls.enc;
import static dev.dcache.common.client.AuxHttpCalls.expectOk;
import static dev.dcache.common.client.AuxHttpCalls.notServing;

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
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@link AuxClient} over the JDK's HTTP/1.1 client: pooled keep-alive connections, a connect
 * timeout on the client and a request timeout on every call ({@link AuxHttpCalls}). Called from
 * virtual threads, so a blocking {@code send} costs no platform thread while it waits.
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
    private final AuxHttpCalls calls;

    /**
     * @param connectTimeout bound on establishing a connection
     * @param requestTimeout bound on each whole call once connected
     * @param token          cluster token sent as {@code X-Cluster-Token}, or null
     */
    public HttpAuxClient(ObjectMapper mapper, Duration connectTimeout, Duration requestTimeout, String token) {
        this.mapper = mapper;
        this.requestTimeout = requestTimeout;
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .executor(executor)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.calls = new AuxHttpCalls(http, mapper, requestTimeout, token);
    }

    @Override
    public ReadReply read(NodeAddress node, String key) throws AuxCallException {
        HttpResponse<byte[]> r = calls.get(node, InternalPaths.ENTRY + "?key=" + enc(key));
        if (r.statusCode() == 404) {
            return ReadReply.of(null);
        }
        if (notServing(r.statusCode(), r.headers())) {
            return ReadReply.NOT_SERVING;
        }
        return ReadReply.of(calls.read(node, expectOk(node, r), Entry.class));
    }

    @Override
    public PutOutcome put(NodeAddress node, Entry entry, WriteMode mode) throws AuxCallException {
        HttpResponse<byte[]> r = calls.send(node,
                calls.request(node, InternalPaths.ENTRY + ordering(mode, '?')).PUT(calls.body(entry)));
        return calls.read(node, expectOk(node, r), PutOutcome.class);
    }

    @Override
    public DeleteOutcome delete(NodeAddress node, String key, long version, WriteMode mode) throws AuxCallException {
        HttpResponse<byte[]> r = calls.send(node, calls.request(node,
                InternalPaths.ENTRY + "?key=" + enc(key) + "&version=" + version + ordering(mode, '&')).DELETE());
        return calls.read(node, expectOk(node, r), DeleteOutcome.class);
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
        HttpResponse<java.io.InputStream> r = calls.send(node, calls.request(node, InternalPaths.BATCH_GET)
                .POST(calls.body(keys)), HttpResponse.BodyHandlers.ofInputStream());
        // the request timeout ends with the headers: the streamed answer is bounded by a watchdog
        try (AnswerWatchdog dog = new AnswerWatchdog(requestTimeout);
             ChargedStream in = new ChargedStream(r.body(), charge)) {
            if (r.statusCode() != 200) {
                expectOk(node, r.statusCode(), r.headers(), in.readNBytes(200));
            }
            try {
                return mapper.readValue(in, ENTRY_LIST);
            } catch (IOException e) {
                if (in.refusal() != null) {
                    throw in.refusal();
                }
                throw unread(node, dog, e);
            }
        } catch (IOException e) {
            throw new AuxCallException(node.id(), AuxCallException.Kind.IO, "answer not read: " + e, e);
        }
    }

    private AuxCallException unread(NodeAddress node, AnswerWatchdog dog, IOException e) {
        return dog.fired()
                ? new AuxCallException(node.id(), AuxCallException.Kind.TIMEOUT,
                        "answer not read within " + requestTimeout.toMillis() + " ms", e)
                : new AuxCallException(node.id(), AuxCallException.Kind.IO, "answer not read: " + e, e);
    }

    @Override
    public BatchPutOutcome putBatch(NodeAddress node, List<Entry> entries, WriteMode mode) throws AuxCallException {
        int applied = 0;
        int stale = 0;
        List<KeyVersion> superseded = new java.util.ArrayList<>();
        boolean listed = true;
        for (List<Entry> chunk : chunks(entries)) {
            HttpResponse<byte[]> r = calls.post(node, InternalPaths.BATCH_PUT + ordering(mode, '?'), chunk);
            BatchPutOutcome o = calls.read(node, expectOk(node, r), BatchPutOutcome.class);
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
        HttpResponse<byte[]> r = calls.post(node, InternalPaths.BATCH_DELETE, deletes);
        return calls.read(node, expectOk(node, r), STRING_LIST);
    }

    @Override
    public NodeHealth health(NodeAddress node) throws AuxCallException {
        HttpResponse<byte[]> r = calls.get(node, InternalPaths.HEALTH);
        return calls.read(node, expectOk(node, r), NodeHealth.class);
    }

    @Override
    public HeartbeatReply heartbeat(NodeAddress node, Heartbeat heartbeat) throws AuxCallException {
        HttpResponse<byte[]> r = calls.post(node, InternalPaths.HEARTBEAT, heartbeat);
        return calls.read(node, expectOk(node, r), HeartbeatReply.class);
    }

    /**
     * Asks a peer to compare the records both own ({@link InternalPaths#SYNC}). Not part of
     * {@link AuxClient}: it is the aux-to-aux direction.
     */
    public SyncReply sync(NodeAddress peer, SyncRequest request) throws AuxCallException {
        HttpResponse<byte[]> r = calls.post(peer, InternalPaths.SYNC, request);
        return calls.read(peer, expectOk(peer, r), SyncReply.class);
    }

    /**
     * Sends records an aux node moved to a master's backup ({@link InternalPaths#BACKUP}), in calls
     * of at most {@link #BATCH_BYTES} like {@link #putBatch}. Not part of {@link AuxClient}: it is
     * the aux-to-master direction.
     */
    public void backup(NodeAddress master, List<Entry> records) throws AuxCallException {
        for (List<Entry> chunk : chunks(records)) {
            expectOk(master, calls.post(master, InternalPaths.BACKUP, chunk));
        }
    }

    /**
     * Pushes keys this master wrote to another master's near cache ({@link InternalPaths#INVALIDATE}).
     * Not part of {@link AuxClient}: it is the master-to-master direction.
     */
    public void invalidate(NodeAddress master, Invalidation invalidation) throws AuxCallException {
        expectOk(master, calls.post(master, InternalPaths.INVALIDATE, invalidation));
    }

    @Override
    public void close() {
        http.close();
        executor.close();
    }
}
