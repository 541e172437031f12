package dev.dcache.master.ring;

import dev.dcache.common.hash.HashFunction;
import dev.dcache.common.ring.HashRing;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.RingSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Builds the immutable {@link ClusterView} for each change, with a fresh {@link HashRing} over the
 * members that are up (the ring is never mutated), and publishes it: one atomic reference that
 * request threads load, then the listeners, on the thread that made the change. Publishing is not
 * thread-safe: the caller makes one change at a time ({@code membership.Membership} under its lock);
 * reading takes no lock.
 */
public final class ViewPublisher {
    private static final Logger log = LoggerFactory.getLogger(ViewPublisher.class);

    private final int vnodes;
    private final int replicationFactor;
    private final AtomicReference<ClusterView> view = new AtomicReference<>();
    private final List<Consumer<ClusterView>> listeners = new CopyOnWriteArrayList<>();

    /**
     * Starts from an empty view, generation 0, which is not announced.
     *
     * @param vnodes            virtual nodes per node on each ring
     * @param replicationFactor owners per key, as heartbeats tell the nodes
     */
    public ViewPublisher(int vnodes, int replicationFactor) {
        this.vnodes = vnodes;
        this.replicationFactor = replicationFactor;
        view.set(build(Map.of(), Map.of(), 0));
    }

    /** The current view; never null. */
    public ClusterView current() {
        return view.get();
    }

    /** Called with every new view. */
    public void onChange(Consumer<ClusterView> listener) {
        listeners.add(listener);
    }

    /** Publishes the next generation: these members in these states. */
    public void publish(Map<String, NodeAddress> members, Map<String, NodeState> states) {
        ClusterView next = build(members, states, view.get().generation() + 1);
        view.set(next);
        log.info("ring generation {}: {} of {} nodes up {}, fingerprint {}", next.generation(),
                next.ring().nodes().size(), next.members().size(), next.ring().nodes(), next.ring().fingerprint());
        for (Consumer<ClusterView> l : listeners) {
            try {
                l.accept(next);
            } catch (RuntimeException e) {
                log.error("membership listener failed", e);
            }
        }
    }

    /** The ring of {@code v} as heartbeats describe it. */
    public RingSpec ringSpec(ClusterView v) {
        List<NodeAddress> up = v.ring().nodes().stream().map(v.members()::get).toList();
        return new RingSpec(up, replicationFactor, vnodes, v.ring().fingerprint());
    }

    private ClusterView build(Map<String, NodeAddress> members, Map<String, NodeState> states, long generation) {
        List<String> up = states.entrySet().stream().filter(e -> e.getValue() == NodeState.UP).map(Map.Entry::getKey).toList();
        return new ClusterView(Map.copyOf(members), Map.copyOf(states), new HashRing(up, vnodes, HashFunction.FNV1A_MIX),
                generation);
    }
}
