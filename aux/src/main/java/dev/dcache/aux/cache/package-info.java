/**
 * The aux node's cache: {@link dev.dcache.aux.cache.LruCache}, a hand-written hash map plus doubly linked
 * list per segment, bounded by entries and bytes, with TTLs, versions (a write applies only above the
 * version held) and tombstones; {@link dev.dcache.aux.cache.Weigher} estimates the heap a record retains,
 * for the byte budget. Persistence lives in {@code snapshot}, not here.
 */
package dev.dcache.aux.cache;
