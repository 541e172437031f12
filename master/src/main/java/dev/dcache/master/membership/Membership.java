package dev.dcache.master.membership;

import dev.dcache.master.metrics.MasterMetrics;
import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.client.AuxClient;
import dev.dcache.common.ring.HashRing;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.HeartbeatReply;
import dev.dcache.common.wire.MemberChange;
import dev.dcache.common.wire.RebalanceStatus;
import dev.dcache.common.wire.RingSpec;
import dev.dcache.master.fencing.Fences;
import dev.dcache.master.health.Health;
import dev.dcache.master.ring.ClusterView;
import dev.dcache.master.ring.ViewPublisher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Which aux nodes exist, which are up, and the ring over the ones that are: the one place the
 * facts below meet, and the lock under which they change the published {@link ClusterView}.
 *
 * <h2>Design: one ring for the same facts, without masters talking to each other</h2>
 * <p>The ring is a pure function of the set of up node ids (see {@link HashRing}): two masters
 * that see the same nodes up route every key the same way, whatever order they learned it in,
 * and {@code GET /cluster} shows the same fingerprint. Masters are stateless and do not know each
 * other; the facts come from three places, all of which every master observes the same way:
 * <ul>
 *   <li><b>Heartbeats</b>, every health interval, to every known node ({@link HeartbeatRound}). A
 *   heartbeat is the health probe: {@code failureThreshold} failures in a row eject a node,
 *   {@code successThreshold} successes in a row re-admit it (a run is required so a flapping node
 *   does not churn the ring), and a node that answers "draining" (graceful shutdown) is ejected at
 *   once ({@link Health} decides, {@link NodeStates} applies). Every master probes on the same
 *   interval, so after a change they converge within about one interval of each other.</li>
 *   <li><b>Passive evidence</b>: a failed call on a real request counts as a failed probe at once
 *   and marks the node suspect, so reads try its replicas first until a heartbeat succeeds
 *   again; the request itself has already failed over. Passive evidence never changes the ring
 *   by itself faster than the threshold, so one master's unlucky request cannot split the
 *   masters' rings for long.</li>
 *   <li><b>Membership</b> ({@link MemberSet}): the static list, the nodes file or DNS, plus operator
 *   decisions from the admin API ({@link MemberChange}, highest version wins), which travel in
 *   heartbeats, so a node added through one master reaches all masters within two intervals.</li>
 * </ul>
 * <p>Trade-off, as twemproxy's notes on auto-ejection put it: ejecting quickly keeps latency low
 * but moves keys on a transient fault; ejecting slowly keeps placement stable but sends requests
 * to a dead node until then. Here failover to replicas hides the dead node from clients while
 * detection catches up, so the default threshold (3 x 1 s) favours stability.
 *
 * <p>On a change of the member set a node known at the same address keeps its state, a new or
 * moved one starts down and must prove itself ({@link NodeStates}), a node that left is still
 * heartbeated until it has handed its records over ({@link Departures}), and everything kept per
 * node forgets the ones that left.
 *
 * <p>Threading: state changes (member-set changes, probe outcomes) go through methods synchronized
 * on this object, which publish a fresh immutable {@link ClusterView} ({@link ViewPublisher});
 * request threads only load the reference. Heartbeat rounds run on one thread, outside the lock.
 */
public final class Membership implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Membership.class);

    private final Fences fences;
    private final Health health;
    private final Placement placement;
    private final Departures departures = new Departures();
    private final MemberSet memberSet = new MemberSet();
    private final NodeReports reports = new NodeReports();
    private final NearCachePeers peers;
    private final ViewPublisher views;
    private final WarmUp warmUp;
    private final NodeStates states;
    private final HeartbeatRound rounds;
    private final MembershipMeters readings;
    private final int successThreshold;

    /**
     * Settings the membership needs.
     *
     * @param token the cluster token aux nodes must prove they know, or null
     */
    public record Settings(String masterId, int vnodes, int replicationFactor, long intervalMillis,
                           int failureThreshold, int successThreshold, String token) {
    }

    /** A membership that fences nodes it cannot reach for {@link Fences#fenceAfter} three intervals. */
    public Membership(Settings settings, Collection<NodeAddress> initial, AuxClient probeClient) {
        this(settings, initial, probeClient, new Fences(System::nanoTime,
                Fences.fenceAfter(Duration.ofMillis(settings.intervalMillis())),
                Duration.ofMillis(settings.intervalMillis()).multipliedBy(6)));
    }

    /**
     * @param fences decides when a node may be left out of writes and what heartbeats tell it; shared
     *               with the data router
     */
    public Membership(Settings settings, Collection<NodeAddress> initial, AuxClient probeClient, Fences fences) {
        this.fences = fences;
        this.successThreshold = settings.successThreshold();
        this.health = new Health(settings.failureThreshold(), settings.successThreshold());
        this.placement = new Placement(settings.intervalMillis());
        this.peers = new NearCachePeers(settings.masterId());
        this.views = new ViewPublisher(settings.vnodes(), settings.replicationFactor());
        this.warmUp = new WarmUp(fences, 3L * settings.failureThreshold() * settings.intervalMillis() * 1_000_000L);
        this.states = new NodeStates(health, fences, warmUp, views);
        this.rounds = new HeartbeatRound(settings.masterId(), settings.intervalMillis(),
                new HeartbeatRound.Parts(new HeartbeatCall(probeClient, settings.token()), fences, memberSet,
                        departures, reports, placement, peers));
        this.readings = new MembershipMeters(views, health, states, placement);
        setSourced(initial);
    }

    /** The current view; never null. */
    public ClusterView view() {
        return views.current();
    }

    /** Called with every new view, on the thread that made the change. */
    public void onChange(Consumer<ClusterView> listener) {
        views.onChange(listener);
    }

    /** True when a recent call to the node failed and no heartbeat has succeeded since. */
    public boolean isSuspect(String id) {
        return health.isSuspect(id);
    }

    /**
     * True when the node said it does not serve reads now (it is catching up or draining), in its
     * last heartbeat reply or a read since.
     */
    public boolean isNotServing(String id) {
        return reports.isNotServing(id);
    }

    /** A read found the node not serving: readers ask its co-owners first until a heartbeat says it serves. */
    public void reportNotServing(String id) {
        reports.notServing(id);
    }

    /** What decides when a node may be left out of a write. */
    public Fences fences() {
        return fences;
    }

    /**
     * True when every up node reported (at its last heartbeat) that its data is placed for the
     * ring of {@code v} and no pass is running: then each key's primary holds its newest record.
     * False right after any ring change, until the nodes have rebalanced and said so.
     */
    public boolean settled(ClusterView v) {
        return placement.settled(v);
    }

    /**
     * The latest view this master saw settled (see {@link #settled}) for two heartbeat intervals, or
     * null before the first: while a new ring is not settled yet, some master may still route by
     * this one, so writes go to the owners under both.
     */
    public ClusterView lastSettled() {
        return placement.lastSettled();
    }

    /**
     * True when writes of {@code v}'s ring may go to its owners alone: it is {@link #settled}, and
     * has been for two heartbeat intervals (a new ring becomes {@link #lastSettled} only then). The
     * grace lets every other master see the ring settled too before this one stops ordering writes
     * on the old ring's owners as well: the nodes report their placement to each master in its own
     * heartbeat round, up to an interval apart, and a master that routes by the new ring alone
     * orders a write where one still in transition may not (see {@code routing.ReplicatedWrite}).
     */
    public boolean routesAlone(ClusterView v) {
        return placement.routesAlone(v);
    }

    /** Tells aux nodes, in later heartbeats, the port this master's HTTP API listens on. */
    public void advertisePort(int port) {
        rounds.advertisePort(port);
    }

    /**
     * Tells aux nodes, in later heartbeats, that this master keeps a near cache and takes
     * invalidations pushed by other masters; they list it to every master in their replies.
     */
    public void advertiseNearCache(boolean enabled) {
        peers.advertise(enabled);
    }

    /**
     * The other masters that keep a near cache, as the aux nodes listed them at the last heartbeat
     * round any of them answered (id, the address their heartbeats came from, HTTP port).
     */
    public List<NodeAddress> nearCachePeers() {
        return peers.current();
    }

    /** Records each node held at its last heartbeat reply. */
    public Map<String, Long> entries() {
        return reports.entries();
    }

    /** What the membership meters read. */
    public MasterMetrics.MembershipReadings readings() {
        return readings;
    }

    /** Operator decisions known to this master. */
    public List<MemberChange> changes() {
        return memberSet.changes();
    }

    /** Each node's rebalancing state, from its last heartbeat reply. */
    public Map<String, RebalanceStatus> rebalanceStatus() {
        return placement.statuses();
    }

    /** Sets the nodes the configured source (list, file, DNS) provides. */
    public synchronized void setSourced(Collection<NodeAddress> nodes) {
        memberSet.source(nodes);
        recompute();
    }

    /** Records an operator decision (admin API) and applies it. */
    public synchronized void decide(MemberChange change) {
        if (memberSet.merge(List.of(change))) {
            log.info("operator decision: {} {} ({})", change.present() ? "add" : "remove", change.id(), change.address());
            recompute();
        }
    }

    /**
     * At start: heartbeats until every member that answers has had enough good heartbeats to be
     * up, so a master joins a running cluster with the same ring as the others instead of
     * optimistically routing to dead nodes. Bounded: {@code successThreshold} rounds, then one more
     * to tell every node the ring, if the warm-up ended ({@link WarmUp}: no ring is sent until every
     * member is up or three failure thresholds have passed).
     */
    public void warmUp() {
        warmUp.start();
        for (int i = 0; i < successThreshold; i++) {
            heartbeatAll();
        }
        heartbeatAll(); // tell every node the ring this master now routes by, if the warm-up ended
    }

    /** Sends one heartbeat to every member, in parallel, and applies the outcomes. Bounded by the probe timeouts. */
    public void heartbeatAll() {
        warmUp.endIfReady(view());
        ClusterView current = view();
        boolean warm = warmUp.over();
        // while warming up the ring is not yet this master's opinion: send none
        if (rounds.run(current, warm ? ringSpec(current) : null, warm && routesAlone(current), this::recordProbe)) {
            synchronized (this) {
                recompute();
            }
        }
        placement.afterRound(view(), warm, fences.now());
    }

    /** Applies one probe outcome for {@code id}; {@code reply} is null when the probe failed. */
    synchronized void recordProbe(String id, HeartbeatReply reply) {
        states.probed(id, reply);
    }

    /**
     * Passive evidence from a request: makes the node suspect and counts as one failed probe. A
     * burst of failures (many requests on one broken connection) counts once: the node stays
     * suspect, and counts again, only after a heartbeat succeeds.
     */
    public void reportCallFailure(String id, AuxCallException.Kind kind) {
        if (health.suspect(id)) {
            recordProbe(id, null);
        }
    }

    /** The ring as heartbeats describe it. */
    public RingSpec ringSpec(ClusterView v) {
        return views.ringSpec(v);
    }

    /** Applies the member set as it is now to the view. Caller holds the lock. */
    private void recompute() {
        Map<String, NodeAddress> members = memberSet.members();
        ClusterView current = view();
        if (members.equals(current.members())) {
            return;
        }
        for (NodeAddress old : current.members().values()) {
            if (!members.containsKey(old.id())) {
                departures.left(old, fences.now());
            }
        }
        departures.rejoined(members.keySet());
        reports.retain(members.keySet());
        placement.retain(members.keySet());
        log.info("aux members: {} -> {}", current.members().keySet(), members.keySet());
        states.membersChanged(current, members);
    }

    @Override
    public void close() {
        rounds.close();
    }
}
