/**
 * Every meter a master exports beyond the shared HTTP and JVM ones, declared in {@link
 * dev.dcache.master.metrics.MasterMetrics}: writes, aux calls, membership, fenced nodes, near cache and
 * pushes, backup and restore, fast path and stalls. Components record through its methods or are read
 * through the reading interfaces declared there, so this package imports none of them; the shared meters
 * are in {@code common.metrics}.
 */
package dev.dcache.master.metrics;
