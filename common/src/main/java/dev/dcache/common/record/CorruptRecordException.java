package dev.dcache.common.record;

import java.io.IOException;

/** A stored record that cannot be decoded: a length that does not fit, an unknown kind, a short record. */
public final class CorruptRecordException extends IOException {
    /** @param message what is wrong with the record, without saying where it sits in its file */
    public CorruptRecordException(String message) {
        super(message);
    }
}
