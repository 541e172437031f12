package dev.dcache.client;

/**
 * What a single-key write answered.
 *
 * @param key      the key written
 * @param version  the version the write was given (a later read of it answers this or a newer one)
 * @param replicas how many owners acknowledged it
 */
public record WriteResult(String key, long version, int replicas) {
}
