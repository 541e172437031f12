/**
 * How calls travel: {@link dev.dcache.client.transport.Transport} sends a
 * {@link dev.dcache.client.transport.Call} to the hosts in turn over one shared {@code HttpClient},
 * {@link dev.dcache.client.transport.RetryPolicy} says what is retried and after how long, and
 * {@link dev.dcache.client.transport.KeySegment} encodes keys for paths. Knows HTTP, not the cache's
 * answer shapes (those are {@code dev.dcache.client}'s).
 */
package dev.dcache.client.transport;
