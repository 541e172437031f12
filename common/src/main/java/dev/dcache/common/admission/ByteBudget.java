package dev.dcache.common.admission;

import dev.dcache.common.error.ApiException;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * How many bytes of request and response bodies a node holds at once.
 *
 * <h2>Why bytes, and why up front</h2>
 * A count of requests in flight bounds nothing when one request may carry 16 MiB: 1,024 permits
 * times 16 MiB is 16 GiB, on a 256 MiB heap. So every request with a body reserves its
 * {@code Content-Length} here <em>before</em> its body is read (while it waits, the body stays in
 * the kernel's socket buffers and the client's), and gives it back when it has been answered.
 * Answers whose size is only known once the aux nodes replied (a read of a 1 MiB value, a bulk
 * read) grow the same reservation ({@link Lease#grow}) before they are held or written.
 *
 * <p>A reservation is taken whole or not at all, so two requests can never each hold half of
 * what both need (no deadlock), and a waiting request waits a bounded time ({@code maxWait})
 * before it is refused with 503 and {@code Retry-After}: overload becomes short waits, then fast
 * refusals, never an {@code OutOfMemoryError}. A request larger than the whole budget can never
 * be admitted and is refused with 413 at once.
 *
 * <h2>What a byte here means</h2>
 * A reserved byte stands for one byte of body on the wire. What the node allocates per such byte
 * (the parsed strings, the batches sent on) is a small multiple of it; the default capacity is
 * derived from the heap with that multiple in mind ({@link #derivedCapacity}), so the budget is
 * a bound on the heap, not an exact account of it.
 *
 * <h2>Implementation</h2>
 * A {@link Semaphore} of KiB units (a semaphore counts {@code int}s; KiB keeps 2 TiB in range),
 * not fair: a small request may pass a large one that is waiting, which keeps the many small
 * requests flowing; the large one is bounded by {@code maxWait} like any other. Thread-safe.
 */
public final class ByteBudget {
    private static final long UNIT = 1024;

    private final long capacityBytes;
    private final int capacityUnits;
    private final long maxWaitNanos;
    private final Semaphore units;
    private final LongAdder refusedBusy = new LongAdder();
    private final LongAdder refusedTooLarge = new LongAdder();
    private final LongAdder waited = new LongAdder();

    /**
     * @param capacityBytes bytes that may be reserved at once (at least 1 KiB)
     * @param maxWait       longest a reservation waits for bytes to be given back before it is refused
     */
    public ByteBudget(long capacityBytes, Duration maxWait) {
        if (capacityBytes < UNIT || capacityBytes / UNIT > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("capacity must be in [1 KiB, 2 TiB], was " + capacityBytes);
        }
        this.capacityUnits = (int) (capacityBytes / UNIT);
        this.capacityBytes = capacityUnits * UNIT;
        this.maxWaitNanos = maxWait.toNanos();
        this.units = new Semaphore(capacityUnits, false);
    }

    /**
     * The default capacity for a heap: what is left of {@code maxHeapBytes} once {@code reservedBytes}
     * (the node's own footprint, and a cache that lives on the heap) are set aside, divided by
     * {@code bytesPerBodyByte} (what the node allocates per byte of body it holds). Never below 1 MiB:
     * a node too small for that is misconfigured, and requests larger than its budget get 413.
     */
    public static long derivedCapacity(long maxHeapBytes, long reservedBytes, int bytesPerBodyByte) {
        return Math.max(1L << 20, (maxHeapBytes - reservedBytes) / bytesPerBodyByte);
    }

    /** Bytes that may be reserved at once. */
    public long capacity() {
        return capacityBytes;
    }

    /** Bytes reserved now. */
    public long inUse() {
        return (capacityUnits - (long) units.availablePermits()) * UNIT;
    }

    /** Reservations refused because the budget stayed full for the whole wait (answered 503). */
    public long refusedBusy() {
        return refusedBusy.sum();
    }

    /** Reservations refused because they were larger than the whole budget (answered 413). */
    public long refusedTooLarge() {
        return refusedTooLarge.sum();
    }

    /** Reservations that could not be granted at once and waited (granted or refused after). */
    public long waited() {
        return waited.sum();
    }

    /**
     * Reserves {@code bytes}, waiting up to {@code maxWait} for them; call on a thread that may
     * block (a virtual thread).
     *
     * @throws ApiException 413 when {@code bytes} exceed the capacity, 503 (with {@code Retry-After})
     *                      when they did not become free in time
     */
    public Lease reserve(long bytes) {
        Lease lease = new Lease();
        lease.grow(bytes);
        return lease;
    }

    /**
     * Reserves {@code bytes} if they are free now; never blocks.
     *
     * @return the lease, or null when the bytes are not free now (the caller may wait elsewhere)
     * @throws ApiException 413 when {@code bytes} exceed the capacity
     */
    public Lease tryReserve(long bytes) {
        Lease lease = new Lease();
        return lease.tryGrow(bytes) ? lease : null;
    }

    /** The 503 for bytes a caller that cannot wait found taken (counted as refused). */
    public ApiException refuseBusy() {
        refusedBusy.increment();
        return ApiException.unavailable("server busy: too many bytes in flight");
    }

    /** An empty reservation, to {@link Lease#grow} later. */
    public Lease empty() {
        return new Lease();
    }

    private int unitsFor(long bytes) {
        long u = (Math.max(0, bytes) + UNIT - 1) / UNIT;
        if (u > capacityUnits) {
            refusedTooLarge.increment();
            throw ApiException.tooLarge("a body of " + bytes + " bytes is more than this node can hold at once ("
                    + capacityBytes + " bytes)");
        }
        return (int) u;
    }

    /**
     * Bytes held for one request. Grows as the request needs more; {@link #close} gives all of them
     * back (idempotent). Thread-safe: a request's parallel calls may grow it at once.
     */
    public final class Lease implements AutoCloseable {
        private int held;
        private boolean closed;

        private Lease() {
        }

        /** Bytes held. */
        public synchronized long bytes() {
            return held * UNIT;
        }

        /**
         * Adds {@code bytes}, waiting up to the budget's {@code maxWait}.
         *
         * @throws ApiException 413 or 503 as {@link ByteBudget#reserve}; the bytes already held stay held
         */
        public void grow(long bytes) {
            int u = unitsFor(bytes);
            if (u == 0) {
                return;
            }
            synchronized (this) {
                if ((long) held + u > capacityUnits) {
                    // with what it holds, this request could never fit: waiting would only end in 503
                    refusedTooLarge.increment();
                    throw ApiException.tooLarge("this request needs more than this node can hold at once ("
                            + capacityBytes + " bytes)");
                }
            }
            boolean got = units.tryAcquire(u);
            if (!got) {
                waited.increment();
                try {
                    got = units.tryAcquire(u, maxWaitNanos, TimeUnit.NANOSECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (!got) {
                throw refuseBusy();
            }
            add(u);
        }

        /**
         * Adds {@code bytes} if they are free now; never blocks.
         *
         * @return false when they are not free now (nothing was added)
         * @throws ApiException 413 when {@code bytes} exceed the budget's capacity
         */
        public boolean tryGrow(long bytes) {
            int u = unitsFor(bytes);
            if (u == 0) {
                return true;
            }
            if (!units.tryAcquire(u)) {
                return false;
            }
            add(u);
            return true;
        }

        private void add(int u) {
            synchronized (this) {
                if (!closed) {
                    held += u;
                    return;
                }
            }
            units.release(u); // closed while we waited: the request is over
            throw ApiException.unavailable("request already answered");
        }

        @Override
        public void close() {
            int u;
            synchronized (this) {
                if (closed) {
                    return;
                }
                closed = true;
                u = held;
                held = 0;
            }
            if (u > 0) {
                units.release(u);
            }
        }
    }
}
