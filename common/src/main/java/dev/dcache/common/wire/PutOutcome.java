package dev.dcache.common.wire;

/**
 * What an aux node did with one write.
 *
 * @param applied false when the node already held this key at an equal or higher version
 * @param version the version the node holds for the key afterwards
 */
public record PutOutcome(boolean applied, long version) {
}
