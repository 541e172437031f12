package dev.dcache.master.membership;

import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.client.AuxClient;
import dev.dcache.common.cluster.TokenProof;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.Heartbeat;
import dev.dcache.common.wire.HeartbeatReply;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One heartbeat to one node, and the checks its reply must pass before the node counts as
 * answering: with a cluster token set, the reply must prove (see {@link TokenProof}) it knows the
 * token for the heartbeat's nonce, so a stranger at a member's address is never admitted; and the
 * id it reports must be the one the member is known by, so a node restarted at another member's
 * address is not taken for it. Stateless; called from many probe threads at once.
 */
final class HeartbeatCall {
    private static final Logger log = LoggerFactory.getLogger(HeartbeatCall.class);

    private final AuxClient client;
    private final String token;

    /** @param token the cluster token nodes must prove they know, or null for none */
    HeartbeatCall(AuxClient client, String token) {
        this.client = client;
        this.token = token;
    }

    /** A fresh nonce for the next heartbeat round, or null without a token. */
    String nonce() {
        return token == null ? null : TokenProof.nonce();
    }

    /** The node's reply, or null when the call failed or the reply did not pass the checks. */
    HeartbeatReply send(NodeAddress a, Heartbeat hb) {
        try {
            HeartbeatReply reply = client.heartbeat(a, hb);
            if (token != null && !TokenProof.verify(token, hb.nonce(), reply.proof())) {
                log.warn("node at {}:{} (as '{}') cannot prove it knows the cluster token; not admitting it",
                        a.host(), a.port(), a.id());
                return null;
            }
            if (reply.id() != null && !reply.id().equals(a.id())) {
                log.warn("node at {}:{} reports id '{}' but is known as '{}'; treating it as down",
                        a.host(), a.port(), reply.id(), a.id());
                return null;
            }
            return reply;
        } catch (AuxCallException e) {
            return null;
        }
    }
}
