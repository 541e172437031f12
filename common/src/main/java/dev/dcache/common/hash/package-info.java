/**
 * The key hash: {@link dev.dcache.common.hash.HashFunction}, a 64-bit hash of a key's UTF-8 bytes, and its
 * production implementation {@link dev.dcache.common.hash.HashFunction#FNV1A_MIX} (FNV-1a with the
 * MurmurHash3 finalizer), which must never change because it is part of the ring fingerprint. The ring
 * that uses it is in {@code common.ring}.
 */
package dev.dcache.common.hash;
