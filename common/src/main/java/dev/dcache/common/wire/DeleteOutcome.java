package dev.dcache.common.wire;

/** What an aux node did with a delete: whether a live value was there before the tombstone. */
public record DeleteOutcome(boolean existed) {
}
