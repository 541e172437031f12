/**
 * Which aux nodes are members and which are up: {@link dev.dcache.master.membership.Membership} (the front
 * and the lock), the member set and its sources, the heartbeat round, and applying health verdicts; one
 * class per job, listed in docs/architecture.md. When a write may leave out an owner is {@code fencing}'s.
 */
package dev.dcache.master.membership;
