package dev.dcache.master.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.common.http.ApiException;
import dev.dcache.common.wire.InternalPaths;
import dev.dcache.common.wire.Invalidation;
import dev.dcache.master.nearcache.NearReads;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;

import java.io.IOException;
import java.util.Map;

/**
 * {@code POST /internal/invalidate}: another master pushes the keys it wrote; this master drops
 * its near-cache copies of them ({@link NearReads#invalidatePushed}). Behind the cluster token,
 * never routed by nginx.
 */
public final class InvalidationApi {
    private final NearReads reads;
    private final ObjectMapper mapper;

    public InvalidationApi(NearReads reads, ObjectMapper mapper) {
        this.reads = reads;
        this.mapper = mapper;
    }

    public void register(JavalinConfig config) {
        config.routes.post(InternalPaths.INVALIDATE, this::invalidate);
    }

    private void invalidate(Context ctx) throws IOException {
        Invalidation push = mapper.readValue(ctx.bodyAsBytes(), Invalidation.class);
        if (push == null || push.keys() == null || push.keys().size() > Invalidation.MAX_KEYS
                || push.keys().stream().anyMatch(k -> k == null)) {
            throw ApiException.badRequest("body must be {\"from\": id, \"keys\": [key, ...]} with at most "
                    + Invalidation.MAX_KEYS + " keys, none null");
        }
        push.keys().forEach(reads::invalidatePushed);
        ctx.json(Map.of("invalidated", push.keys().size()));
    }
}
