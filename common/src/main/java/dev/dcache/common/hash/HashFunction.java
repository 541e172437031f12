package dev.dcache.common.hash;

/**
 * A 64-bit hash of a key's UTF-8 bytes. The ring takes one as a parameter so tests can place
 * keys by hand.
 */
@FunctionalInterface
public interface HashFunction {
    long hash(byte[] data);

    /**
     * FNV-1a 64 followed by the MurmurHash3 64-bit finalizer. FNV-1a alone spreads short,
     * similar strings ("aux-1#17", "aux-1#18") poorly over the high bits; the finalizer fixes
     * the avalanche. Fast, allocation-free, stable across JVMs and releases (it is part of the
     * ring fingerprint, so it must never change silently).
     */
    HashFunction FNV1A_MIX = data -> {
        long h = 0xcbf29ce484222325L;
        for (byte b : data) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        h *= 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        return h;
    };
}
