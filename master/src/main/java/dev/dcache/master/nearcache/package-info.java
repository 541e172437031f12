/**
 * The master-local copy of hot keys, off by default ({@code NEAR_CACHE_ENABLED}): {@link
 * dev.dcache.master.nearcache.NearCache} serves hot values for at most a staleness bound, and {@link
 * dev.dcache.master.nearcache.NearReads} is what a read tries before the aux nodes (the near cache, then
 * coalescing through {@code singleflight}). {@link dev.dcache.master.nearcache.InvalidationPush} tells the
 * other masters which keys this master wrote, and {@link dev.dcache.master.nearcache.PushReceiver} applies
 * their pushes and drops the whole near cache when one may have been lost; the package-private {@code
 * FrequencySketch} decides which keys are hot.
 */
package dev.dcache.master.nearcache;
