/**
 * The master's wiring: {@link dev.dcache.master.MasterMain} reads {@code MasterConfig}, builds the aux
 * clients, membership, fences, router, near cache, stall watch, backup and HTTP APIs, runs the heartbeat
 * loop, and closes them in order. The logic lives in the subpackages; this package only assembles it.
 */
package dev.dcache.master;
