package dev.dcache.master.nearcache;

import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.Invalidation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * <h2>Best effort, on purpose, and loss made visible</h2>
 * A push can be lost: a peer's queue is full, the peer is slow, restarting or cut off, or a master
 * dies between acknowledging a write and pushing it. None of that is retried. Instead the receiver
 * notices (see below and {@link PushReceiver}) and drops its whole near cache, which is always
 * safe; the staleness bound ({@code NEAR_CACHE_MAX_STALENESS_MS}) remains the guarantee when
 * pushes are off.
 *
 * <h2>Threading and batching: one lane per peer</h2>
 * {@link #publish} never blocks (it runs on the thread answering the write, which may be one that
 * must not block): it offers the key to each peer's bounded queue, dropping and counting it for a
 * peer whose queue is full. Each peer has its own lane, a virtual thread that waits for the first
 * key, takes every key queued meanwhile (duplicates merged, at most {@link Invalidation#MAX_KEYS}
 * keys and {@code maxBatchBytes} of encoded keys) and sends that batch, one call in flight per
 * peer. So a peer that is slow or unreachable only fills its own queue; the others are not held
 * up, and under load batches grow with the write rate rather than the number of calls. Lanes
 * follow the peer list: one starts when a peer appears, and stops (its queue dropped) when the peer
 * leaves.
 *
 * <h2>Making a lost push visible</h2>
 * Each lane is a numbered stream ({@link Invalidation#epoch()}, {@link Invalidation#seq()}): a
 * new random epoch per lane, one number per push whether or not it got through, one number
 * skipped when a key did not fit the queue, an empty push as soon as the lane starts and after
 * every {@link #KEEP_ALIVE} without keys. The receiver ({@link PushReceiver}) drops its whole near cache on a gap, a new stream or a
 * silence, so what is lost here costs the peer its copies instead of leaving one stale.
 */
public final class InvalidationPush implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(InvalidationPush.class);
    /** Longest a lane stays without pushing: it then pushes an empty list. */
    public static final Duration KEEP_ALIVE = Duration.ofSeconds(1);

    /**
     * How long a receiver waits for a sender before it counts the stream as broken: two keep-alive
     * intervals and the longest a push can take ({@code callTimeout}, connect plus answer). 3 s with
     * the default 500 ms timeout.
     */
    public static Duration silence(Duration callTimeout) {
        return KEEP_ALIVE.multipliedBy(2).plus(callTimeout.multipliedBy(2));
    }

    /** Delivers one batch to one peer master; throws when the peer did not accept it. Must time out. */
    @FunctionalInterface
    public interface Sender {
        void send(NodeAddress peer, Invalidation batch) throws Exception;
    }

    private final String selfId;
    private final Supplier<List<NodeAddress>> peers;
    private final Sender sender;
    private final int capacity;
    private final long maxBatchBytes;
    private final long keepAliveMillis;
    private final LongAdder sent = new LongAdder();
    private final LongAdder failed = new LongAdder();
    private final LongAdder dropped = new LongAdder();
    /** A published snapshot of the lanes, replaced (under {@code this}) when the peer list changes. */
    private volatile List<Lane> lanes = List.of();
    /** The peer list {@link #lanes} were matched to, compared by identity; written after {@code lanes}. */
    private volatile List<NodeAddress> lanesFor;
    private volatile boolean closed;

    /**
     * @param selfId        this master's id, named in each push
     * @param peers         the other masters to tell, by id (a peer's address may change under it);
     *                      read on every publish, so keep returning the same instance while it holds
     * @param sender        delivers a batch to a peer, with a timeout
     * @param capacity      most keys waiting per peer, >= 1
     * @param maxBatchBytes most bytes of JSON-encoded keys in one push (the receiver's body limit
     *                      minus room for the envelope); a single longer key still goes alone
     */
    public InvalidationPush(String selfId, Supplier<List<NodeAddress>> peers, Sender sender, int capacity,
                            long maxBatchBytes) {
        this(selfId, peers, sender, capacity, maxBatchBytes, KEEP_ALIVE);
    }

    /** As above, with the keep-alive interval chosen (tests). */
    InvalidationPush(String selfId, Supplier<List<NodeAddress>> peers, Sender sender, int capacity,
                     long maxBatchBytes, Duration keepAlive) {
        this.selfId = selfId;
        this.peers = peers;
        this.sender = sender;
        this.capacity = capacity;
        this.maxBatchBytes = maxBatchBytes;
        this.keepAliveMillis = keepAlive.toMillis();
    }

    /**
     * Queues {@code key}, written through this master, for every peer. Never blocks; with no peer
     * known nothing is queued, and for a peer whose queue is full the key is dropped and counted.
     */
    public void publish(String key) {
        if (closed) {
            return;
        }
        for (Lane lane : lanes()) {
            if (!lane.queue.offer(key)) {
                dropped.increment();
                lane.skipped.set(true);
            }
        }
    }

    /**
     * Starts a lane for each new peer and stops those of peers gone; call on every heartbeat tick,
     * so a peer hears this master's keep-alives (and can notice its silence) before any write.
     */
    public void refreshPeers() {
        if (!closed) {
            lanes();
        }
    }

    /** The lanes for the current peer list, starting and stopping lanes when it changed. */
    private List<Lane> lanes() {
        List<NodeAddress> now = peers.get();
        if (now == lanesFor) {
            return lanes;
        }
        synchronized (this) {
            if (now != lanesFor && !closed) {
                Map<String, Lane> running = new HashMap<>();
                for (Lane lane : lanes) {
                    running.put(lane.peer.id(), lane);
                }
                List<Lane> next = new ArrayList<>(now.size());
                for (NodeAddress peer : now) {
                    Lane lane = running.remove(peer.id());
                    if (lane == null) {
                        lane = new Lane(peer);
                    }
                    lane.peer = peer; // the same master seen at another address: same stream, new address
                    next.add(lane);
                }
                running.values().forEach(Lane::stop);
                lanes = List.copyOf(next);
                lanesFor = now;
            }
            return lanes;
        }
    }

    /** One peer's queue and the virtual thread that sends it: one numbered stream. */
    private final class Lane {
        volatile NodeAddress peer;
        final BlockingQueue<String> queue = new ArrayBlockingQueue<>(capacity);
        final long epoch = ThreadLocalRandom.current().nextLong();
        /** A key was dropped since the last push: skip a number so the receiver sees the gap. */
        final AtomicBoolean skipped = new AtomicBoolean();
        final Thread thread;
        /** The last number used; only the lane's thread touches it. */
        private long seq;
        volatile boolean stopped;

        Lane(NodeAddress peer) {
            this.peer = peer;
            this.thread = Thread.ofVirtual().name("nearcache-push-" + peer.id()).start(this::run);
        }

        void stop() {
            stopped = true;
            thread.interrupt();
        }

        private void run() {
            send(keepAlive()); // the peer learns this stream at once
            while (!stopped && !closed) {
                try {
                    String first = queue.poll(keepAliveMillis, TimeUnit.MILLISECONDS);
                    send(first == null ? keepAlive() : nextBatch(first));
                } catch (InterruptedException e) {
                    return; // the peer left, or closing
                } catch (RuntimeException e) {
                    log.warn("pushing near-cache invalidations to {} failed", peer, e);
                }
            }
        }

        /** A push without keys: it only says where the stream stands. */
        private Invalidation keepAlive() {
            return new Invalidation(selfId, epoch, nextSeq(), List.of());
        }

        /** {@code first} and what is queued behind it, within the key and byte caps, duplicates once. */
        private Invalidation nextBatch(String first) {
            Set<String> keys = new LinkedHashSet<>();
            keys.add(first);
            long bytes = encodedBound(first);
            String next;
            while (keys.size() < Invalidation.MAX_KEYS && (next = queue.peek()) != null
                    && bytes + encodedBound(next) <= maxBatchBytes) {
                queue.poll();
                if (keys.add(next)) {
                    bytes += encodedBound(next);
                }
            }
            return new Invalidation(selfId, epoch, nextSeq(), List.copyOf(keys));
        }

        private long nextSeq() {
            seq += skipped.getAndSet(false) ? 2 : 1;
            return seq;
        }

        private void send(Invalidation batch) {
            try {
                sender.send(peer, batch);
                sent.add(batch.keys().size());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failed.add(batch.keys().size());
            } catch (Exception e) {
                failed.add(batch.keys().size());
                log.debug("push of {} invalidations to {} failed: {}", batch.keys().size(), peer, e.toString());
            }
        }
    }

    /** Most bytes {@code key} takes as a JSON string in an array: every char escaped, quotes, comma. */
    static long encodedBound(String key) {
        return 6L * key.length() + 3;
    }

    /** Keys delivered to a peer, counted once per peer. */
    public long sent() {
        return sent.sum();
    }

    /** Keys in pushes a peer did not accept (down, slow, refused), counted once per peer. */
    public long failed() {
        return failed.sum();
    }

    /** Keys not queued for a peer because its queue was full, counted once per peer. */
    public long dropped() {
        return dropped.sum();
    }

    /** The thread of {@code peer}'s lane, null when there is none (for tests). */
    Thread laneThread(NodeAddress peer) {
        for (Lane lane : lanes) {
            if (lane.peer.id().equals(peer.id())) {
                return lane.thread;
            }
        }
        return null;
    }

    /** Peers known now. */
    public int peerCount() {
        return peers.get().size();
    }

    /** Stops every lane; keys still queued are not sent (the bound covers them). */
    @Override
    public void close() {
        List<Lane> stopping;
        synchronized (this) {
            closed = true;
            stopping = lanes;
            lanes = List.of();
        }
        for (Lane lane : stopping) {
            lane.stop();
        }
        for (Lane lane : stopping) {
            try {
                lane.thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
