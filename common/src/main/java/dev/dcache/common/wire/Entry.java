package dev.dcache.common.wire;

/**
 * One cache record as it travels between masters and aux nodes (and, later, into snapshots and
 * backups).
 *
 * @param key       the cache key
 * @param value     the value, or {@code null} for a tombstone (a recorded delete)
 * @param version   write version from the master's {@link dev.dcache.common.time.HybridLogicalClock}
 * @param expiresAt absolute expiry in epoch milliseconds, 0 for none
 */
public record Entry(String key, String value, long version, long expiresAt) {
    /** True when this records a delete rather than a value. */
    public boolean isTombstone() {
        return value == null;
    }

    /** True when the record has an expiry and it has passed at {@code nowMillis}. */
    public boolean isExpiredAt(long nowMillis) {
        return expiresAt != 0 && expiresAt <= nowMillis;
    }
}
