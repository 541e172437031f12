package dev.dcache.client;

/**
 * What a read given a known version answered ({@link DcacheClient#getIfNoneMatch}): the key changed
 * since that version, did not, or is gone.
 */
public sealed interface ConditionalRead {
    /**
     * The key holds another version than the one given.
     *
     * @param entry the current value
     */
    record Modified(Entry entry) implements ConditionalRead {
    }

    /**
     * The key still holds the version given (a 304); the copy at hand is current.
     *
     * @param version that version
     */
    record NotModified(long version) implements ConditionalRead {
    }

    /** The key holds no value. */
    record Missing() implements ConditionalRead {
    }
}
