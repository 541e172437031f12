/**
 * Request coalescing: {@link dev.dcache.master.singleflight.SingleFlight} collapses concurrent calls for
 * the same key so a hot key costs at most one call in flight plus one waiting, while every caller gets its
 * answer from a call that started after it arrived, which keeps reads linearizable. It holds no values; it
 * is used by {@code nearcache.NearReads}.
 */
package dev.dcache.master.singleflight;
