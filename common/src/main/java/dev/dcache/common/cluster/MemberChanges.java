package dev.dcache.common.cluster;

import dev.dcache.common.wire.MemberChange;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Operator membership decisions, merged by "highest version per node id wins". Masters and aux
 * nodes each hold one and exchange them on every heartbeat, so a node added or removed through
 * any master's admin API reaches every master within two heartbeat intervals, without masters
 * knowing each other. Merging is commutative, associative and idempotent, so the order in which
 * heartbeats arrive does not matter. Thread-safe.
 */
public final class MemberChanges {
    /** Guarded by {@code this}. */
    private final Map<String, MemberChange> byId = new TreeMap<>();

    /**
     * Folds in changes heard from elsewhere.
     *
     * @return true when anything changed here
     */
    public synchronized boolean merge(List<MemberChange> changes) {
        boolean changed = false;
        if (changes == null) {
            return false;
        }
        for (MemberChange c : changes) {
            if (c == null || c.id() == null) {
                continue;
            }
            MemberChange mine = byId.get(c.id());
            if (mine == null || c.version() > mine.version()) {
                byId.put(c.id(), c);
                changed = true;
            }
        }
        return changed;
    }

    /** All decisions, ordered by node id. */
    public synchronized List<MemberChange> all() {
        return new ArrayList<>(byId.values());
    }
}
