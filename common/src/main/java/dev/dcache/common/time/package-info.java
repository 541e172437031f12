/**
 * Write versions: {@link dev.dcache.common.time.HybridLogicalClock} issues strictly increasing versions
 * packed into one {@code long} (wall-clock milliseconds, a logical counter and an 8-bit per-master tag),
 * so "higher version wins" is one total order on every aux node, and a version also tells when it was
 * issued. Making version order follow real time across masters is done in {@code master.routing}, not
 * here.
 *
 * <p>Durations and deadlines are read from an injected {@link dev.dcache.common.time.Ticker}
 * (monotonic nanoseconds), never from the JVM's clock directly, so tests can advance time.
 */
package dev.dcache.common.time;
