package dev.dcache.common.wire;

/**
 * What an aux node's {@code GET /health} reports.
 *
 * @param status     "up"
 * @param id         the node's id
 * @param role       "aux"
 * @param binaryPort where its binary protocol listens, 0 when disabled
 */
public record NodeHealth(String status, String id, String role, int binaryPort) {
}
