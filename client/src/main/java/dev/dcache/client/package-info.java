/**
 * The Java client of the cache's public HTTP API: {@link dev.dcache.client.DcacheClient}, built with
 * {@link dev.dcache.client.DcacheClientBuilder}, and what its calls answer ({@link dev.dcache.client.Entry},
 * {@link dev.dcache.client.RawValue}, {@link dev.dcache.client.WriteResult}, {@link dev.dcache.client.BulkRead},
 * {@link dev.dcache.client.ConditionalRead}). Needs only the JDK's {@code java.net.http} and Jackson.
 */
package dev.dcache.client;
