package dev.dcache.aux.api;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.aux.antientropy.AntiEntropy;
import dev.dcache.aux.cache.LruCache;
import dev.dcache.aux.ordering.OrderedWrites;
import dev.dcache.aux.recovery.Readiness;
import dev.dcache.aux.cluster.ClusterAgent;
import dev.dcache.common.error.ApiException;
import dev.dcache.common.http.CheckedBody;
import dev.dcache.common.http.AdmittedRoutes;
import dev.dcache.common.wire.BatchPutOutcome;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.Heartbeat;
import dev.dcache.common.wire.InternalPaths;
import dev.dcache.common.wire.KeyVersion;
import dev.dcache.common.wire.PutOutcome;
import dev.dcache.common.wire.SyncRequest;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The aux node's internal HTTP API ({@link InternalPaths}): parse, call the cache, answer.
 * Masters validate client input; this layer still refuses records that would corrupt the store
 * (missing key, non-positive version).
 *
 * <p>Every route runs admitted (its body's bytes reserved before it is read, see
 * {@code common.http.AdmittedRoutes}); a batch of records is parsed as it arrives, so the node holds
 * the records, not the body's bytes beside them.
 */
public final class InternalApi {
    private static final TypeReference<List<String>> KEYS = new TypeReference<>() { };
    private static final TypeReference<List<Entry>> ENTRIES = new TypeReference<>() { };
    private static final TypeReference<List<KeyVersion>> DELETES = new TypeReference<>() { };

    private final LruCache cache;
    private final Readiness readiness;
    private final OrderedWrites ordered;
    private final AntiEntropy antiEntropy;
    private final ClusterAgent agent;
    private final ObjectMapper mapper;
    private final int maxBatch;
    private final long maxBodyBytes;

    public InternalApi(LruCache cache, Readiness readiness, OrderedWrites ordered, AntiEntropy antiEntropy,
                       ClusterAgent agent, ObjectMapper mapper, int maxBatch, long maxBodyBytes) {
        this.cache = cache;
        this.readiness = readiness;
        this.ordered = ordered;
        this.antiEntropy = antiEntropy;
        this.agent = agent;
        this.mapper = mapper;
        this.maxBatch = maxBatch;
        this.maxBodyBytes = maxBodyBytes;
    }

    public void register(JavalinConfig config) {
        config.routes.get(InternalPaths.ENTRY, this::get);
        config.routes.put(InternalPaths.ENTRY, this::put);
        config.routes.delete(InternalPaths.ENTRY, this::delete);
        config.routes.post(InternalPaths.BATCH_GET, this::batchGet);
        config.routes.post(InternalPaths.BATCH_PUT, this::batchPut);
        config.routes.post(InternalPaths.BATCH_DELETE, this::batchDelete);
        config.routes.post(InternalPaths.HEARTBEAT, this::heartbeat);
        config.routes.get(InternalPaths.DUMP, this::dump);
        config.routes.post(InternalPaths.SYNC, this::sync);
    }

    private void sync(Context ctx) throws IOException {
        SyncRequest request = mapper.readValue(AdmittedRoutes.body(ctx), SyncRequest.class);
        if (request == null || request.from() == null || request.ring() == null || request.ring().nodes() == null
                || request.ring().replicationFactor() < 1 || request.ring().vnodes() < 1) {
            throw ApiException.badRequest("sync needs from, ring and digests");
        }
        try {
            // streamed: the records are written from the cache, not first copied into one string
            AdmittedRoutes.streamJson(ctx, mapper, antiEntropy.answer(request, readiness.rebuilding()));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest(e.getMessage());
        }
    }

    /**
     * An ordering write (see {@code WriteMode}) is refused like a read while the node does not serve.
     *
     * @return true for an ordering write
     */
    private boolean requireServingIfOrdering(Context ctx) {
        if ("true".equals(ctx.queryParam(InternalPaths.ORDERING_PARAM))) {
            requireServing();
            return true;
        }
        return false;
    }

    /** The client request an ordering write carries out, or null. */
    private static String requestId(Context ctx) {
        String id = ctx.queryParam(InternalPaths.REQUEST_ID_PARAM);
        if (id != null && (id.isEmpty() || id.length() > dev.dcache.common.proto.Frames.MAX_REQUEST_ID)) {
            throw ApiException.badRequest("request id must be 1.." + dev.dcache.common.proto.Frames.MAX_REQUEST_ID
                    + " characters");
        }
        return id;
    }

    /** Reads are refused, with a marker masters recognise, while the node catches up or drains. */
    private void requireServing() {
        if (!readiness.serving()) {
            throw new ApiException(503, "this node does not serve reads now: "
                    + java.util.Objects.requireNonNullElse(readiness.reason(), "recovering"),
                    java.util.Map.of("Retry-After", "1", InternalPaths.NOT_SERVING_HEADER, "true"));
        }
    }

    private void heartbeat(Context ctx) throws IOException {
        Heartbeat hb = mapper.readValue(AdmittedRoutes.body(ctx), Heartbeat.class);
        if (hb == null || hb.master() == null || hb.master().isEmpty()) {
            throw ApiException.badRequest("heartbeat needs a master id");
        }
        ctx.json(agent.onHeartbeat(hb, ctx.req().getRemoteAddr()));
    }

    private void dump(Context ctx) {
        List<Entry> all = new ArrayList<>();
        cache.forEach(all::add);
        AdmittedRoutes.streamJson(ctx, mapper, all);
    }

    private void get(Context ctx) {
        String key = keyParam(ctx);
        requireServing();
        Entry e = cache.getOrTombstone(key);
        if (e == null) {
            throw ApiException.notFound("no such key");
        }
        ctx.json(e);
    }

    private void put(Context ctx) throws IOException {
        Entry e = checked(mapper.readValue(AdmittedRoutes.body(ctx), Entry.class));
        PutOutcome outcome = requireServingIfOrdering(ctx) ? ordered.put(e, requestId(ctx)) : cache.put(e);
        if (outcome.tooLarge()) {
            throw ApiException.tooLarge("record exceeds this node's per-segment byte budget");
        }
        ctx.json(outcome);
    }

    private void delete(Context ctx) {
        String key = keyParam(ctx);
        String v = ctx.queryParam("version");
        long version;
        try {
            version = v == null ? -1 : Long.parseLong(v);
        } catch (NumberFormatException ex) {
            version = -1;
        }
        if (version <= 0) {
            throw ApiException.badRequest("version must be a positive integer");
        }
        ctx.json(requireServingIfOrdering(ctx) ? ordered.delete(key, version, requestId(ctx)) : cache.deleteAt(key, version));
    }

    private void batchGet(Context ctx) throws IOException {
        List<String> keys = batch(mapper.readValue(AdmittedRoutes.body(ctx), KEYS));
        requireServing();
        List<Entry> found = new ArrayList<>(keys.size());
        for (String key : keys) {
            if (key == null || key.isEmpty()) {
                throw ApiException.badRequest("keys must be non-empty strings");
            }
            Entry e = cache.get(key);
            if (e != null) {
                found.add(e);
            }
        }
        AdmittedRoutes.streamJson(ctx, mapper, found); // up to keys x 1 MiB: never as one String
    }

    private void batchPut(Context ctx) throws IOException {
        CheckedBody body = new CheckedBody(ctx.req().getInputStream(), maxBodyBytes, false);
        List<Entry> entries;
        try {
            entries = batch(mapper.readValue(body, ENTRIES));
        } catch (IOException e) {
            body.throwIfRefused();
            throw e;
        }
        entries.forEach(InternalApi::checked);
        requireServingIfOrdering(ctx);
        int applied = 0;
        int stale = 0;
        List<KeyVersion> superseded = new ArrayList<>();
        for (Entry e : entries) {
            PutOutcome o = cache.put(e);
            if (o.applied()) {
                applied++;
            } else {
                stale++;
                if (o.version() > e.version()) {
                    superseded.add(new KeyVersion(e.key(), o.version()));
                }
            }
        }
        ctx.json(new BatchPutOutcome(applied, stale, superseded));
    }

    private void batchDelete(Context ctx) throws IOException {
        List<KeyVersion> deletes = batch(mapper.readValue(AdmittedRoutes.body(ctx), DELETES));
        for (KeyVersion d : deletes) {
            if (d == null || d.key() == null || d.key().isEmpty() || d.version() <= 0) {
                throw ApiException.badRequest("each delete needs a key and a positive version");
            }
        }
        List<String> existed = new ArrayList<>();
        for (KeyVersion d : deletes) {
            if (cache.delete(d.key(), d.version())) {
                existed.add(d.key());
            }
        }
        ctx.json(existed);
    }

    private <T> List<T> batch(List<T> items) {
        if (items == null) {
            throw ApiException.badRequest("body must be a JSON array");
        }
        if (items.size() > maxBatch) {
            throw ApiException.tooLarge("batch of " + items.size() + " exceeds the limit of " + maxBatch);
        }
        return items;
    }

    private static Entry checked(Entry e) {
        if (e == null || e.key() == null || e.key().isEmpty()) {
            throw ApiException.badRequest("entry needs a non-empty key");
        }
        if (e.version() <= 0) {
            throw ApiException.badRequest("entry needs a positive version");
        }
        if (e.expiresAt() < 0) {
            throw ApiException.badRequest("expiresAt must be >= 0");
        }
        return e;
    }

    private static String keyParam(Context ctx) {
        String key = ctx.queryParam("key");
        if (key == null || key.isEmpty()) {
            throw ApiException.badRequest("query parameter 'key' is required");
        }
        return key;
    }
}
