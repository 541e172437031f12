/**
 * {@link dev.dcache.master.config.MasterConfig}: everything a master is configured with, read once from
 * the environment at start (ports, where the aux nodes are listed, replication, limits, timeouts,
 * near-cache settings), with defaults and range checks. Typed reading of variables is in {@code
 * common.config}.
 */
package dev.dcache.master.config;
