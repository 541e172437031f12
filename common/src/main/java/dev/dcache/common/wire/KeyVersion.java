package dev.dcache.common.wire;

/** A delete request for one key: the tombstone's version. */
public record KeyVersion(String key, long version) {
}
