package dev.dcache.common.http;

import dev.dcache.common.error.ApiException;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Guards cluster-internal routes with the shared cluster token, sent as {@value #HEADER}.
 * Compared in constant time. With no token configured the routes are open (local development);
 * the start-up log says so.
 */
public final class TokenGuard {
    public static final String HEADER = "X-Cluster-Token";

    private final byte[] expected;

    /** @param token the shared secret, or null to disable the check */
    public TokenGuard(String token) {
        this.expected = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    /** Requires the token on every path matching one of {@code pathPatterns} (Javalin wildcards). */
    public void install(JavalinConfig config, String... pathPatterns) {
        if (expected == null) {
            return;
        }
        for (String pattern : pathPatterns) {
            config.routes.before(pattern, this::check);
        }
    }

    private void check(Context ctx) {
        String presented = ctx.header(HEADER);
        if (presented == null || !MessageDigest.isEqual(expected, presented.getBytes(StandardCharsets.UTF_8))) {
            throw new ApiException(401, "missing or wrong " + HEADER);
        }
    }
}
