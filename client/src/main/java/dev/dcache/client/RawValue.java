package dev.dcache.client;

import java.util.OptionalLong;

/**
 * A value as its own bytes, read with {@link DcacheClient#getRaw}: raw bytes as they were written
 * with their content type, a JSON string as its UTF-8 characters ({@code text/plain; charset=utf-8}),
 * any other JSON value as its JSON text ({@code application/json}).
 *
 * <p>The array is not copied (an answer's own); {@code equals} compares it by identity.
 *
 * @param key         the key
 * @param contentType the answer's content type
 * @param bytes       the body
 * @param version     the write's version; 0 when the server did not say
 * @param ttlSeconds  seconds left until expiry, or null when the key does not expire
 */
public record RawValue(String key, String contentType, byte[] bytes, long version, Long ttlSeconds) {
    /** Seconds left until expiry, empty when the key does not expire. */
    public OptionalLong ttl() {
        return ttlSeconds == null ? OptionalLong.empty() : OptionalLong.of(ttlSeconds);
    }
}
