/**
 * Carrying client operations to the aux nodes that own each key: {@link
 * dev.dcache.master.routing.DataRouter} routes reads, writes, deletes and bulk operations by the current
 * ring, with replication and failover, and the package-private {@code ReplicatedWrite} carries one write
 * to every owner, ordered first by the key's first serving owner, until it is acknowledged or fails with
 * 503 or 504; the package-private {@code BulkRouter} does the bulk operations in batches, one call per
 * node. Parsing requests is {@code api}, who is up is {@code membership}, and when an owner may be left
 * out is {@code fencing}.
 */
package dev.dcache.master.routing;
