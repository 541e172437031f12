package dev.dcache.master.api;

import dev.dcache.master.ring.ClusterView;
import dev.dcache.master.membership.Membership;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;

import java.util.List;
import java.util.Map;

/** {@code GET /health} and {@code GET /cluster}: what this master sees. */
public final class ClusterApi {
    private final String masterId;
    private final Membership membership;
    private final int replicationFactor;

    public ClusterApi(String masterId, Membership membership, int replicationFactor) {
        this.masterId = masterId;
        this.membership = membership;
        this.replicationFactor = replicationFactor;
    }

    /**
     * One aux node as {@code /cluster} shows it.
     *
     * @param state   up (on this master's ring) or down
     * @param serving the node answers reads (false while it catches up on writes it may have missed, or drains)
     * @param fenced  this master may write without the node, and tells it so in its heartbeats
     */
    public record NodeInfo(String id, String address, String state, boolean serving, boolean fenced) {
    }

    /** The body of {@code GET /cluster}. */
    public record ClusterInfo(String master, int replicationFactor, String fingerprint, long generation,
                              int vnodes, List<String> ring, List<NodeInfo> nodes) {
    }

    public void register(JavalinConfig config) {
        config.routes.get("/health", ctx -> ctx.json(Map.of("status", "up", "id", masterId, "role", "master")));
        config.routes.get("/cluster", this::cluster);
    }

    private void cluster(Context ctx) {
        ClusterView v = membership.view();
        List<NodeInfo> nodes = v.members().values().stream()
                .sorted(java.util.Comparator.comparing(dev.dcache.common.ring.NodeAddress::id))
                .map(a -> new NodeInfo(a.id(), a.host() + ":" + a.port(),
                        v.states().get(a.id()).name().toLowerCase(java.util.Locale.ROOT),
                        !membership.isNotServing(a.id()), membership.fences().flag(a.id())))
                .toList();
        ctx.json(new ClusterInfo(masterId, replicationFactor, v.ring().fingerprint(), v.generation(),
                v.ring().vnodes(), v.ring().nodes(), nodes));
    }
}
