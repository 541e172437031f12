/**
 * Refusing writes that reached a stalled master too late: {@link dev.dcache.master.stall.StallWatch}
 * notices when this master stopped running (a ticker thread missed its beats) and flags a write that nginx
 * sent, by the {@code X-Request-Start} header {@link dev.dcache.master.stall.RequestStart} parses, more
 * than {@code MASTER_STALE_WRITE_MS} ago and before such a stall, so it is refused with 503 instead of
 * applied. A master that is merely slow is not covered.
 */
package dev.dcache.master.stall;
