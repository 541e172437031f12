/**
 * JMH micro-benchmarks, run with {@code bench/run.sh}: {@link dev.dcache.bench.LruCacheBenchmark} measures
 * the aux node's {@code LruCache} against Caffeine under a Zipf-skewed load of 90% reads and 10% writes,
 * and {@link dev.dcache.bench.RingBenchmark} measures routing one key on the {@code HashRing}; the
 * package-private {@code Zipf} draws the skewed keys. No node uses this code.
 */
package dev.dcache.bench;
