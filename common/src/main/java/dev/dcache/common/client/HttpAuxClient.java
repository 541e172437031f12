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
 */
public final class HttpAuxClient implements AuxClient {
    private static final TypeReference<List<Entry>> ENTRY_LIST = new TypeReference<>() { };
    private static final TypeReference<List<String>> STRING_LIST = new TypeReference<>() { };

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
        if (notServing(r)) {
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
        HttpResponse<byte[]> r = send(node, request(node, InternalPaths.BATCH_GET).POST(body(keys)));
        return read(node, expectOk(node, r), ENTRY_LIST);
    }

    @Override
    public BatchPutOutcome putBatch(NodeAddress node, List<Entry> entries, WriteMode mode) throws AuxCallException {
        HttpResponse<byte[]> r = send(node, request(node, InternalPaths.BATCH_PUT + ordering(mode, '?')).POST(body(entries)));
        return read(node, expectOk(node, r), BatchPutOutcome.class);
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
     * Sends records an aux node moved to a master's backup ({@link InternalPaths#BACKUP}). Not part
     * of {@link AuxClient}: it is the aux-to-master direction.
     */
    public void backup(NodeAddress master, List<Entry> records) throws AuxCallException {
        expectOk(master, send(master, request(master, InternalPaths.BACKUP).POST(body(records))));
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
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
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

    private static boolean notServing(HttpResponse<byte[]> r) {
        return r.statusCode() == 503 && r.headers().firstValue(InternalPaths.NOT_SERVING_HEADER).isPresent();
    }

    private static byte[] expectOk(NodeAddress node, HttpResponse<byte[]> r) throws AuxCallException {
        if (notServing(r)) {
            throw new AuxCallException(node.id(), AuxCallException.Kind.NOT_SERVING, "does not serve reads now", null);
        }
        if (r.statusCode() != 200) {
            String body = new String(r.body(), StandardCharsets.UTF_8);
            throw new AuxCallException(node.id(), AuxCallException.Kind.BAD_STATUS,
                    "status " + r.statusCode() + ": " + (body.length() > 200 ? body.substring(0, 200) : body), null);
        }
        return r.body();
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
