package dev.dcache.common.client;

import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.BatchPutOutcome;
import dev.dcache.common.wire.DeleteOutcome;
import dev.dcache.common.wire.Entry;
import dev.dcache.common.wire.Heartbeat;
import dev.dcache.common.wire.HeartbeatReply;
import dev.dcache.common.wire.KeyVersion;
import dev.dcache.common.wire.NodeHealth;
import dev.dcache.common.wire.PutOutcome;
import dev.dcache.common.wire.ReadReply;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The master's view of one aux node's internal API ({@link dev.dcache.common.wire.InternalPaths}).
 * Every call is bounded by the client's connect and request timeouts and either answers or throws
 * {@link AuxCallException}; none blocks forever. Implementations are thread-safe and meant to be
 * shared (they pool connections).
 */
public interface AuxClient extends AutoCloseable {
    /**
     * The record for {@code key}: a live entry, a tombstone ({@link Entry#isTombstone()}) when the
     * node remembers a delete, or {@code null} when it holds nothing for the key; or
     * {@link ReadReply#NOT_SERVING} when the node does not answer reads now.
     */
    ReadReply read(NodeAddress node, String key) throws AuxCallException;

    /**
     * Writes {@code entry} if its version is newer than what the node holds.
     *
     * @throws AuxCallException of kind {@link AuxCallException.Kind#NOT_SERVING} for an
     *                          {@link WriteMode#ORDERING} write to a node that does not serve
     */
    PutOutcome put(NodeAddress node, Entry entry, WriteMode mode) throws AuxCallException;

    /** Writes a tombstone at {@code version} if it is newer than what the node holds; see {@link #put}. */
    DeleteOutcome delete(NodeAddress node, String key, long version, WriteMode mode) throws AuxCallException;

    /** A {@link WriteMode#COPY} put. */
    default PutOutcome put(NodeAddress node, Entry entry) throws AuxCallException {
        return put(node, entry, WriteMode.COPY);
    }

    /** A {@link WriteMode#COPY} delete. */
    default DeleteOutcome delete(NodeAddress node, String key, long version) throws AuxCallException {
        return delete(node, key, version, WriteMode.COPY);
    }

    /**
     * Starts {@link #read}: the future completes with its answer, or exceptionally with the
     * {@link AuxCallException} it would have thrown, within the same bounds. Lets a caller put calls
     * to several owners on the wire before waiting for any, and lets an asynchronous HTTP handler
     * answer when the reply arrives instead of holding a thread. The default runs the blocking
     * call on a virtual thread; pipelining clients override it.
     */
    default CompletableFuture<ReadReply> startRead(NodeAddress node, String key) {
        return onVirtualThread(() -> read(node, key));
    }

    /** Starts {@link #put}; see {@link #startRead}. */
    default CompletableFuture<PutOutcome> startPut(NodeAddress node, Entry entry, WriteMode mode) {
        return onVirtualThread(() -> put(node, entry, mode));
    }

    /** Starts a {@link WriteMode#COPY} put. */
    default CompletableFuture<PutOutcome> startPut(NodeAddress node, Entry entry) {
        return startPut(node, entry, WriteMode.COPY);
    }

    /** Starts {@link #delete}; see {@link #startRead}. */
    default CompletableFuture<DeleteOutcome> startDelete(NodeAddress node, String key, long version, WriteMode mode) {
        return onVirtualThread(() -> delete(node, key, version, mode));
    }

    /** A blocking call. */
    @FunctionalInterface
    interface Call<T> {
        T call() throws AuxCallException;
    }

    /** Runs a blocking call on a new virtual thread. */
    static <T> CompletableFuture<T> onVirtualThread(Call<T> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread.ofVirtual().name("aux-call").start(() -> {
            try {
                result.complete(call.call());
            } catch (AuxCallException | RuntimeException | Error e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /**
     * Waits for a started call and gives its answer or rethrows its failure unwrapped.
     *
     * @param nodeId named in the exception when the wait itself is interrupted
     */
    static <T> T await(CompletableFuture<T> started, String nodeId) throws AuxCallException {
        try {
            return started.get(); // bounded: every call is
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof AuxCallException a) {
                throw a;
            }
            if (cause instanceof RuntimeException r) {
                throw r;
            }
            throw new AuxCallException(nodeId, AuxCallException.Kind.IO, "call failed: " + cause, cause);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AuxCallException(nodeId, AuxCallException.Kind.IO, "interrupted", e);
        }
    }

    /**
     * The live entries among {@code keys}; absent keys are simply missing from the result.
     *
     * @throws AuxCallException of kind {@link AuxCallException.Kind#NOT_SERVING} when the node does
     *                          not answer reads now
     */
    List<Entry> getBatch(NodeAddress node, List<String> keys) throws AuxCallException;

    /**
     * {@link #getBatch}, telling {@code charge} how many bytes of the answer were read, as they are
     * read, before they are kept: a caller bounds what it holds by throwing from {@code charge} (a
     * {@link RuntimeException}, rethrown to the caller as it is, the answer abandoned). The default
     * charges nothing.
     */
    default List<Entry> getBatch(NodeAddress node, List<String> keys, java.util.function.LongConsumer charge)
            throws AuxCallException {
        return getBatch(node, keys);
    }

    /**
     * Writes each entry whose version is newer than what the node holds; implementations may send
     * them in several calls (each bounded in bytes), in which case a failure after the first call
     * leaves the earlier ones applied. Applying an entry twice is harmless: the node keeps the
     * highest version.
     *
     * @throws AuxCallException of kind {@link AuxCallException.Kind#NOT_SERVING} for an
     *                          {@link WriteMode#ORDERING} batch to a node that does not serve
     */
    BatchPutOutcome putBatch(NodeAddress node, List<Entry> entries, WriteMode mode) throws AuxCallException;

    /** A {@link WriteMode#COPY} batch. */
    default BatchPutOutcome putBatch(NodeAddress node, List<Entry> entries) throws AuxCallException {
        return putBatch(node, entries, WriteMode.COPY);
    }

    /** Writes tombstones; returns the keys that held a live value before. */
    List<String> deleteBatch(NodeAddress node, List<KeyVersion> deletes) throws AuxCallException;

    /** Asks {@code GET /health}. */
    NodeHealth health(NodeAddress node) throws AuxCallException;

    /** Sends a master's heartbeat ({@code POST /internal/heartbeat}), which is also its health probe. */
    HeartbeatReply heartbeat(NodeAddress node, Heartbeat heartbeat) throws AuxCallException;

    @Override
    void close();
}
