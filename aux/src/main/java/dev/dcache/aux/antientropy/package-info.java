/**
 * Anti-entropy between aux nodes: {@link dev.dcache.aux.antientropy.AntiEntropy} compares the
 * records two co-owners hold, bucket by bucket of the key hash space, and repairs the differences
 * both ways; a recovering node runs it to catch up before it serves reads again.
 */
package dev.dcache.aux.antientropy;
