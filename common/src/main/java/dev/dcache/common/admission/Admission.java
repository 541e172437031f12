package dev.dcache.common.admission;

import dev.dcache.common.error.ApiException;
import dev.dcache.common.metrics.AdmissionMetrics;

import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.LongAdder;

/**
 * A node's front door: at most {@code maxRequests} requests in flight, and at most the
 * {@link ByteBudget}'s bytes of bodies. Past either, a request waits briefly (bytes only) and is
 * then refused with 503 and {@code Retry-After}; one too large for the node alone is refused with
 * 413. Counts every refusal by reason, for the metrics ({@code dcache_admission_shed_total}).
 * Thread-safe.
 */
public final class Admission implements AdmissionMetrics.Readings {
    /** Why a request was refused. */
    public enum Reason { REQUESTS, BYTES, TOO_LARGE, STALE }

    private final int maxRequests;
    private final Semaphore requests;
    private final ByteBudget bytes;
    private final LongAdder refusedRequests = new LongAdder();
    private final LongAdder refusedStale = new LongAdder();

    public Admission(int maxRequests, ByteBudget bytes) {
        this.maxRequests = maxRequests;
        this.requests = new Semaphore(maxRequests);
        this.bytes = bytes;
    }

    /** Takes a request slot if one is free; never blocks. Pair with {@link #leave}. */
    public boolean tryEnter() {
        return requests.tryAcquire();
    }

    /** Gives back a slot taken by {@link #tryEnter}. */
    public void leave() {
        requests.release();
    }

    /** The 503 for a request that found every slot taken, counted. */
    public ApiException refuseRequest() {
        refusedRequests.increment();
        return ApiException.unavailable("server busy: too many requests in flight");
    }

    /**
     * The 503 for a write that reached this node later than the proxy in front waits for an
     * answer, counted: the proxy has already answered it, so applying it now could overwrite a
     * newer write made since.
     */
    public ApiException refuseStale(long queuedMillis) {
        refusedStale.increment();
        return ApiException.unavailable("request waited " + queuedMillis + " ms before this node could read it;"
                + " not applied");
    }

    /** The bytes of bodies in flight. */
    public ByteBudget bytes() {
        return bytes;
    }

    /** Requests being served now. */
    @Override
    public int inFlight() {
        return maxRequests - requests.availablePermits();
    }

    /** Requests refused so far, for one reason. */
    public long refused(Reason reason) {
        return switch (reason) {
            case REQUESTS -> refusedRequests.sum();
            case BYTES -> bytes.refusedBusy();
            case TOO_LARGE -> bytes.refusedTooLarge();
            case STALE -> refusedStale.sum();
        };
    }

    @Override
    public long refused(String reason) {
        return refused(Reason.valueOf(reason.toUpperCase(Locale.ROOT)));
    }

    @Override
    public long bytesInUse() {
        return bytes.inUse();
    }

    @Override
    public long bytesCapacity() {
        return bytes.capacity();
    }

    @Override
    public long bytesWaited() {
        return bytes.waited();
    }
}
