package dev.dcache.master.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.client.AuxClient;
import dev.dcache.common.error.ApiException;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.time.HybridLogicalClock;
import dev.dcache.common.wire.MemberChange;
import dev.dcache.common.wire.NodeHealth;
import dev.dcache.common.wire.RebalanceStatus;
import dev.dcache.master.ring.ClusterView;
import dev.dcache.master.membership.Membership;
import dev.dcache.common.http.AdmittedRoutes;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;

import java.io.IOException;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * The operators' API on masters, behind the cluster token and never routed by nginx:
 * <pre>
 * GET    /admin/cluster       ring, nodes with state and rebalance progress, operator decisions
 * POST   /admin/nodes         {"id": "aux-4", "address": "10.0.0.4:9000"}: add a node
 * DELETE /admin/nodes/{id}    remove a node (its records are moved to the remaining owners)
 * </pre>
 * A node is added only if its address answers {@code /health} as an aux node with that id.
 * Decisions reach the other masters through the aux nodes' heartbeat replies.
 */
public final class AdminApi {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private final Membership membership;
    private final AuxClient probe;
    private final HybridLogicalClock versions;
    private final ObjectMapper mapper;

    public AdminApi(Membership membership, AuxClient probe, HybridLogicalClock versions, ObjectMapper mapper) {
        this.membership = membership;
        this.probe = probe;
        this.versions = versions;
        this.mapper = mapper;
    }

    /** One node as the admin API shows it. */
    public record AdminNode(String id, String address, String state, boolean suspect, RebalanceStatus rebalance) {
    }

    /** The body of {@code GET /admin/cluster}. */
    public record AdminCluster(String fingerprint, long generation, List<String> ring, List<AdminNode> nodes,
                               List<MemberChange> decisions, boolean rebalancing) {
    }

    public void register(JavalinConfig config) {
        config.routes.get("/admin/cluster", this::cluster);
        config.routes.post("/admin/nodes", this::add);
        config.routes.delete("/admin/nodes/{id}", this::remove);
    }

    private void cluster(Context ctx) {
        ClusterView v = membership.view();
        var status = membership.rebalanceStatus();
        List<AdminNode> nodes = v.members().values().stream()
                .sorted(Comparator.comparing(NodeAddress::id))
                .map(a -> new AdminNode(a.id(), a.host() + ":" + a.port(),
                        v.states().get(a.id()).name().toLowerCase(Locale.ROOT), membership.isSuspect(a.id()),
                        status.get(a.id())))
                .toList();
        boolean rebalancing = status.values().stream().anyMatch(s -> s.running()
                || !s.targetFingerprint().isEmpty() && !s.targetFingerprint().equals(s.appliedFingerprint()));
        ctx.json(new AdminCluster(v.ring().fingerprint(), v.generation(), v.ring().nodes(), nodes,
                membership.changes(), rebalancing));
    }

    private void add(Context ctx) throws IOException {
        JsonNode body = mapper.readTree(AdmittedRoutes.body(ctx));
        if (body == null || !body.isObject() || !body.path("id").isTextual() || !body.path("address").isTextual()) {
            throw ApiException.badRequest("body must be {\"id\": \"aux-4\", \"address\": \"host:port\"}");
        }
        String id = body.get("id").textValue();
        if (!ID.matcher(id).matches()) {
            throw ApiException.badRequest("id must match " + ID.pattern());
        }
        NodeAddress node;
        try {
            node = NodeAddress.parse(id + "@" + body.get("address").textValue(), "address");
        } catch (RuntimeException e) {
            throw ApiException.badRequest(e.getMessage());
        }
        NodeHealth health;
        try {
            health = probe.health(node);
        } catch (AuxCallException e) {
            throw new ApiException(422, "no aux node answers at " + node.host() + ":" + node.port() + ": " + e.getMessage());
        }
        if (health == null || !"aux".equals(health.role()) || !id.equals(health.id())) {
            throw new ApiException(422, "the node at " + node.host() + ":" + node.port() + " is not aux node '" + id
                    + "' (it reports role=" + (health == null ? null : health.role())
                    + ", id=" + (health == null ? null : health.id()) + ")");
        }
        membership.decide(new MemberChange(id, node.host() + ":" + node.port(), true, versions.next()));
        ctx.status(202).json(new AdminNode(id, node.host() + ":" + node.port(), "joining", false, null));
    }

    private void remove(Context ctx) {
        String id = ctx.pathParam("id");
        NodeAddress known = membership.view().address(id);
        if (known == null) {
            throw ApiException.notFound("no aux node '" + id + "'");
        }
        membership.decide(new MemberChange(id, known.host() + ":" + known.port(), false, versions.next()));
        ctx.status(202).json(new AdminNode(id, known.host() + ":" + known.port(), "leaving", false, null));
    }
}
