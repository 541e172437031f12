/**
 * Every meter an aux node exports beyond the shared HTTP and JVM ones, declared in {@link
 * dev.dcache.aux.metrics.AuxMetrics}: cache, rebalance, recovery, anti-entropy and snapshot meters.
 * Components are read through the small reading interfaces declared there, so this package imports none of
 * them; the shared meters are in {@code common.metrics}.
 */
package dev.dcache.aux.metrics;
