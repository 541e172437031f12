/**
 * The aux node's internal HTTP API: {@link dev.dcache.aux.api.InternalApi} registers the routes of {@code
 * common.wire.InternalPaths} (single and batch reads and writes, heartbeat, dump, sync), checks the
 * records, refuses reads and ordering writes with a not-serving 503 while the node does not serve, and
 * calls the cache. Single-key calls over the binary protocol are served by {@code proto}, not here.
 */
package dev.dcache.aux.api;
