package dev.dcache.master.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.common.error.ApiException;
import dev.dcache.common.wire.InternalPaths;
import dev.dcache.common.wire.Invalidation;
import dev.dcache.master.nearcache.PushReceiver;
import dev.dcache.common.http.AdmittedRoutes;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;

import java.io.IOException;
import java.util.Map;

/**
 * {@code POST /internal/invalidate}: another master pushes the keys it wrote; this master drops
 * its near-cache copies of them, or all of them when a push may have been lost
 * ({@link PushReceiver}). Behind the cluster token, never routed by nginx.
 */
public final class InvalidationApi {
    private final PushReceiver receiver;
    private final ObjectMapper mapper;

    public InvalidationApi(PushReceiver receiver, ObjectMapper mapper) {
        this.receiver = receiver;
        this.mapper = mapper;
    }

    public void register(JavalinConfig config) {
        config.routes.post(InternalPaths.INVALIDATE, this::invalidate);
    }

    private void invalidate(Context ctx) throws IOException {
        Invalidation push = mapper.readValue(AdmittedRoutes.body(ctx), Invalidation.class);
        if (push == null || push.from() == null || push.seq() < 1 || push.keys() == null
                || push.keys().size() > Invalidation.MAX_KEYS || push.keys().stream().anyMatch(k -> k == null)) {
            throw ApiException.badRequest("body must be {\"from\": id, \"epoch\": n, \"seq\": n >= 1, \"keys\": [key, ...]}"
                    + " with at most " + Invalidation.MAX_KEYS + " keys, none null");
        }
        receiver.accept(push);
        ctx.json(Map.of("invalidated", push.keys().size()));
    }
}
