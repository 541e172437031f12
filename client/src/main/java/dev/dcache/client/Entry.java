package dev.dcache.client;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.OptionalLong;

/**
 * A key's value as a read answers it.
 *
 * <p>For a JSON value, {@code value} is that value and {@code contentType}, {@code bytes} are null.
 * For raw bytes (written with {@code putRaw}), {@code contentType} and {@code bytes} are what was
 * written, and {@code value} is the server's text form of them: the text when the bytes are UTF-8,
 * else their base64.
 *
 * <p>The array is not copied (an answer's own); {@code equals} compares it by identity.
 *
 * @param key         the key
 * @param value       the JSON value (a raw value's text or base64 form)
 * @param version     the write's version, higher is newer (per key); 0 when the server did not say
 * @param ttlSeconds  seconds left until expiry (rounded up), or null when the key does not expire,
 *                    or when the entry came from a bulk read, which does not report expiry
 * @param contentType a raw value's content type, null for a JSON value
 * @param bytes       a raw value's bytes, null for a JSON value
 */
public record Entry(String key, JsonNode value, long version, Long ttlSeconds, String contentType, byte[] bytes) {
    /** Whether this is raw bytes with a content type rather than a JSON value. */
    public boolean isRaw() {
        return contentType != null;
    }

    /** Seconds left until expiry, empty when the key does not expire (or the read did not say). */
    public OptionalLong ttl() {
        return ttlSeconds == null ? OptionalLong.empty() : OptionalLong.of(ttlSeconds);
    }
}
