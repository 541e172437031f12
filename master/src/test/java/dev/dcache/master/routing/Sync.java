package dev.dcache.master.routing;

import dev.dcache.common.wire.Entry;

/**
 * The router's single-key operations waited for, for tests that drive it step by step: the router
 * itself only offers them asynchronously (nothing on the request path waits). A failure surfaces
 * unwrapped, as the {@code ApiException} the request path would answer with.
 */
final class Sync {
    private Sync() {
    }

    static Entry get(DataRouter router, String key) {
        return DataRouter.await(router.getAsync(key));
    }

    static DataRouter.WriteResult put(DataRouter router, String key, String value, long ttlMillis) {
        return DataRouter.await(router.putAsync(key, value, ttlMillis));
    }

    static DataRouter.WriteResult put(DataRouter router, String key, String value, long ttlMillis, String requestId) {
        return DataRouter.await(router.putAsync(key, value, ttlMillis, requestId));
    }

    static boolean delete(DataRouter router, String key) {
        return DataRouter.await(router.deleteAsync(key));
    }

    static boolean delete(DataRouter router, String key, String requestId) {
        return DataRouter.await(router.deleteAsync(key, requestId));
    }
}
