/**
 * When a master may acknowledge a write an owner did not take: {@link dev.dcache.master.fencing.Fences}
 * leaves an owner out only after it has been unreachable long enough that it refuses reads by
 * itself, and tells each aux node, in heartbeats, whether this master may be writing without it.
 */
package dev.dcache.master.fencing;
