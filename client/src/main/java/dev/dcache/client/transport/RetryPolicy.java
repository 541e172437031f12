package dev.dcache.client.transport;

import java.time.Duration;
import java.util.Objects;

/**
 * When and how long to wait before sending a call again.
 *
 * <p>Only failures after which a second try can succeed and cannot do harm are retried: a 503
 * (nothing was applied), a connection that failed before an answer, and a 504 (a write's outcome
 * unknown). Writes can be retried at all only because each carries an {@code X-Request-Id} the
 * client generates once per call and sends again on every try: the server applies a write with a
 * given id at most once. A 4xx is never retried; neither is any other 5xx.
 *
 * <p>The wait before retry {@code n} (1-based) is the server's {@code Retry-After} when it sent
 * one, else {@code min(cap, base * 2^(n-1))} with "equal jitter": a uniformly random point in its
 * upper half, so concurrent clients spread out but the wait still grows. Every wait, Retry-After
 * included, is at most {@code backoffCap}.
 *
 * @param maxRetries          retries after the first try (0: try once)
 * @param backoffBase         the wait before the first retry, before jitter
 * @param backoffCap          the longest wait between two tries
 * @param retryOutcomeUnknown whether a write whose outcome is unknown (a 504, or no answer after it
 *                            may have reached the server) is sent again with the same request id;
 *                            when off, {@link dev.dcache.client.error.OutcomeUnknownException} is
 *                            thrown at once
 */
public record RetryPolicy(int maxRetries, Duration backoffBase, Duration backoffCap, boolean retryOutcomeUnknown) {
    /** Three retries, 50 ms doubling up to 2 s, writes of unknown outcome retried. */
    public static final RetryPolicy DEFAULT = new RetryPolicy(3, Duration.ofMillis(50), Duration.ofSeconds(2), true);

    /**
     * Validates the settings.
     *
     * @throws IllegalArgumentException when a value is out of range, naming it
     */
    public RetryPolicy {
        Objects.requireNonNull(backoffBase, "backoffBase");
        Objects.requireNonNull(backoffCap, "backoffCap");
        if (maxRetries < 0 || maxRetries > 100) {
            throw new IllegalArgumentException("maxRetries must be 0..100, not " + maxRetries);
        }
        if (backoffBase.isNegative()) {
            throw new IllegalArgumentException("backoffBase must not be negative, not " + backoffBase);
        }
        if (backoffCap.compareTo(backoffBase) < 0) {
            throw new IllegalArgumentException("backoffCap (" + backoffCap + ") must not be below backoffBase ("
                    + backoffBase + ")");
        }
    }

    /**
     * The wait before retry {@code retry}.
     *
     * @param retry      which retry, from 1
     * @param retryAfter the server's {@code Retry-After}, or null
     * @param random     a uniform random number in [0, 1), the jitter
     */
    public Duration delay(int retry, Duration retryAfter, double random) {
        if (retry < 1) {
            throw new IllegalArgumentException("retry counts from 1, not " + retry);
        }
        if (retryAfter != null) {
            return retryAfter.isNegative() ? Duration.ZERO : min(retryAfter, backoffCap);
        }
        long cap = backoffCap.toNanos();
        long exponential = backoffBase.toNanos();
        for (int i = 1; i < retry && exponential < cap; i++) {
            exponential *= 2; // base <= cap < Long.MAX_VALUE / 2 in practice; the loop stops at the cap
        }
        long ceiling = Math.min(exponential, cap);
        long half = ceiling / 2;
        return Duration.ofNanos(half + (long) (random * (ceiling - half)));
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}
