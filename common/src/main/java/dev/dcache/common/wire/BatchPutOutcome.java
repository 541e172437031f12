package dev.dcache.common.wire;

/** What an aux node did with a batch of writes: how many it applied and how many were stale. */
public record BatchPutOutcome(int applied, int stale) {
}
