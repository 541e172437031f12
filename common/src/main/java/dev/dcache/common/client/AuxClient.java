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
     * node remembers a delete, or {@code null} when it holds nothing for the key.
     */
    Entry get(NodeAddress node, String key) throws AuxCallException;

    PutOutcome put(NodeAddress node, Entry entry) throws AuxCallException;

    DeleteOutcome delete(NodeAddress node, String key, long version) throws AuxCallException;

    /**
     * A single-key call already sent: {@link #await()} gives its answer. Lets a caller put calls to
     * several owners on the wire before waiting for any of them, without a thread per call.
     */
    @FunctionalInterface
    interface Pending<T> {
        /** The answer; bounded like the blocking call. */
        T await() throws AuxCallException;
    }

    /** Starts {@link #get}. The default runs it on a virtual thread; pipelining clients override it. */
    default Pending<Entry> startGet(NodeAddress node, String key) {
        return onVirtualThread(node.id(), () -> get(node, key));
    }

    /** Starts {@link #put}; see {@link #startGet}. */
    default Pending<PutOutcome> startPut(NodeAddress node, Entry entry) {
        return onVirtualThread(node.id(), () -> put(node, entry));
    }

    /** Starts {@link #delete}; see {@link #startGet}. */
    default Pending<DeleteOutcome> startDelete(NodeAddress node, String key, long version) {
        return onVirtualThread(node.id(), () -> delete(node, key, version));
    }

    /** A blocking call. */
    @FunctionalInterface
    interface Call<T> {
        T call() throws AuxCallException;
    }

    /** Runs a blocking call on a new virtual thread; awaiting rethrows what it threw. */
    static <T> Pending<T> onVirtualThread(String nodeId, Call<T> call) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Thread.ofVirtual().name("aux-call").start(() -> {
            try {
                result.complete(call.call());
            } catch (AuxCallException | RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return () -> {
            try {
                return result.get(); // bounded: the call itself is
            } catch (ExecutionException e) {
                if (e.getCause() instanceof AuxCallException a) {
                    throw a;
                }
                throw (RuntimeException) e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AuxCallException(nodeId, AuxCallException.Kind.IO, "interrupted", e);
            }
        };
    }

    /** The live entries among {@code keys}; absent keys are simply missing from the result. */
    List<Entry> getBatch(NodeAddress node, List<String> keys) throws AuxCallException;

    BatchPutOutcome putBatch(NodeAddress node, List<Entry> entries) throws AuxCallException;

    /** Writes tombstones; returns the keys that held a live value before. */
    List<String> deleteBatch(NodeAddress node, List<KeyVersion> deletes) throws AuxCallException;

    /** Asks {@code GET /health}. */
    NodeHealth health(NodeAddress node) throws AuxCallException;

    /** Sends a master's heartbeat ({@code POST /internal/heartbeat}), which is also its health probe. */
    HeartbeatReply heartbeat(NodeAddress node, Heartbeat heartbeat) throws AuxCallException;

    @Override
    void close();
}
