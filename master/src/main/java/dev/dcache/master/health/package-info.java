/**
 * Aux node health as heartbeats and failed calls show it: {@link dev.dcache.master.health.Health} keeps
 * the failure and success streaks per node and decides when a node is ejected from or re-admitted to
 * the ring, and which nodes are suspect. It decides only; in {@code membership}, {@code HeartbeatRound}
 * sends the heartbeats and {@code NodeStates} applies the verdicts and publishes the ring.
 */
package dev.dcache.master.health;
