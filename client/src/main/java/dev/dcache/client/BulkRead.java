package dev.dcache.client;

import java.util.List;
import java.util.Map;

/**
 * What a bulk read answered. Its entries carry no expiry ({@link Entry#ttlSeconds()} is null): the
 * bulk API does not report it.
 *
 * @param found   the keys that hold a value, in the order asked
 * @param missing the keys that do not, in the order asked
 */
public record BulkRead(Map<String, Entry> found, List<String> missing) {
    /** Copies both, keeping their order. */
    public BulkRead {
        found = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(found));
        missing = List.copyOf(missing);
    }
}
