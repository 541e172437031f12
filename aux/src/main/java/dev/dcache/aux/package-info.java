/**
 * The aux node's wiring: {@link dev.dcache.aux.AuxMain} reads {@code AuxConfig}, restores the snapshot,
 * builds the cache, readiness, cluster agent, anti-entropy, binary server and internal HTTP API, starts
 * them, and drains or stops them at shutdown. The logic lives in the subpackages; this package only
 * assembles it.
 */
package dev.dcache.aux;
