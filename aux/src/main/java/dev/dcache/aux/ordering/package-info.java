/**
 * Writes this node orders as a key's first serving owner: {@link dev.dcache.aux.ordering.OrderedWrites}
 * remembers, per client request id, what it applied, so a retried request takes effect once.
 */
package dev.dcache.aux.ordering;
