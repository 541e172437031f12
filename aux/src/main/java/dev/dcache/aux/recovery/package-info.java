/**
 * Whether an aux node may answer reads: {@link dev.dcache.aux.recovery.Readiness} decides when the
 * node may have missed writes (start, silence, a master's fence, a long absence) and when it has
 * caught up from its co-owners and serves again.
 */
package dev.dcache.aux.recovery;
