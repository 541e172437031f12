package dev.dcache.master.nearcache;

import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.Invalidation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * Tells the other masters that keep a near cache which keys this master wrote, so their copies go
 * within milliseconds of the write instead of at the staleness bound.
 *
 * <h2>Why masters tell each other, and how they find each other</h2>
 * Every write reaches the owners through some master, and that master knows the moment the owners
 * acknowledged it, so it is the one place that can say "this key changed" without the aux nodes
 * tracking who reads what. Masters do not know each other; the aux nodes do (every master
 * heartbeats every node), so each heartbeat reply lists the masters that keep a near cache
 * ({@code HeartbeatReply.nearCacheMasters}) and the supplier given here reads that list.
 *
 * <h2>Best effort, on purpose</h2>
 * A push can be lost: the queue is full, a peer is slow, restarting or cut off, or a master dies
 * between acknowledging a write and pushing it. None of that is retried; the staleness bound
 * ({@code NEAR_CACHE_MAX_STALENESS_MS}) stays the guarantee and the push only makes the usual case
 * much better than the bound. Retrying would buy little: by the time a retry could land, the bound
 * is what limits the copy anyway.
 *
 * <h2>Threading and batching</h2>
 * {@link #publish} never blocks (it runs on the thread answering the write): it puts the key on a
 * bounded queue, or drops and counts it when the queue is full. One platform thread drains the
 * queue: it waits for the first key, takes every key queued meanwhile (up to
 * {@link Invalidation#MAX_KEYS}, duplicates merged) and sends that batch to every peer at once
 * (a virtual thread per peer), so a slow peer delays one batch by at most the call's timeout and
 * batches grow with the write rate instead of the number of calls.
 */
public final class InvalidationPush implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(InvalidationPush.class);

    /** Delivers one batch to one peer master; throws when the peer did not accept it. Must time out. */
    @FunctionalInterface
    public interface Sender {
        void send(NodeAddress peer, Invalidation batch) throws Exception;
    }

    private final String selfId;
    private final Supplier<List<NodeAddress>> peers;
    private final Sender sender;
    private final BlockingQueue<String> queue;
    private final Thread drainer;
    private final ExecutorService fanOut = Executors.newVirtualThreadPerTaskExecutor();
    private final LongAdder sent = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    private volatile boolean closed;

    /**
     * Starts the sending thread.
     *
     * @param selfId   this master's id, named in each push
     * @param peers    the other masters to tell, read once per batch
     * @param sender   delivers a batch to a peer, with a timeout
     * @param capacity most keys waiting to be sent, >= 1
     */
    public InvalidationPush(String selfId, Supplier<List<NodeAddress>> peers, Sender sender, int capacity) {
        this.selfId = selfId;
        this.peers = peers;
        this.sender = sender;
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.drainer = Thread.ofPlatform().daemon().name("nearcache-push").start(this::drain);
    }

    /**
     * Queues {@code key}, written through this master, for every peer. Never blocks; with no peer
     * known nothing is queued, and with the queue full the key is dropped and counted.
     */
    public void publish(String key) {
        if (closed || peers.get().isEmpty()) {
            return;
        }
        if (!queue.offer(key)) {
            dropped.increment();
        }
    }

    private void drain() {
        List<String> taken = new ArrayList<>();
        while (!closed) {
            try {
                String first = queue.poll(1, TimeUnit.SECONDS);
                if (first == null) {
                    continue;
                }
                taken.add(first);
                queue.drainTo(taken, Invalidation.MAX_KEYS - 1);
                Set<String> keys = new LinkedHashSet<>(taken);
                taken.clear();
                sendToAll(new Invalidation(selfId, List.copyOf(keys)));
            } catch (InterruptedException e) {
                return; // closing
            } catch (RuntimeException e) {
                log.warn("pushing near-cache invalidations failed", e);
                taken.clear();
            }
        }
    }

    private void sendToAll(Invalidation batch) throws InterruptedException {
        List<NodeAddress> to = peers.get();
        if (to.size() == 1) {
            sendOne(to.get(0), batch);
            return;
        }
        List<Future<?>> calls = new ArrayList<>(to.size());
        for (NodeAddress peer : to) {
            calls.add(fanOut.submit(() -> sendOne(peer, batch)));
        }
        for (Future<?> call : calls) {
            try {
                call.get();
            } catch (ExecutionException e) {
                log.warn("pushing near-cache invalidations failed", e.getCause());
            }
        }
    }

    private void sendOne(NodeAddress peer, Invalidation batch) {
        try {
            sender.send(peer, batch);
            sent.add(batch.keys().size());
        } catch (Exception e) {
            failed.add(batch.keys().size());
            log.debug("push of {} invalidations to {} failed: {}", batch.keys().size(), peer, e.toString());
        }
    }

    /** Keys delivered to a peer, counted once per peer. */
    public long sent() {
        return sent.sum();
    }

    /** Keys in pushes a peer did not accept (down, slow, refused), counted once per peer. */
    public long failed() {
        return failed.sum();
    }

    /** Keys not queued because the queue was full. */
    public long dropped() {
        return dropped.sum();
    }

    /** Peers known now. */
    public int peerCount() {
        return peers.get().size();
    }

    /** Stops sending; keys still queued are not sent (the bound covers them). */
    @Override
    public void close() {
        closed = true;
        drainer.interrupt();
        try {
            drainer.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        fanOut.shutdownNow();
    }
}
