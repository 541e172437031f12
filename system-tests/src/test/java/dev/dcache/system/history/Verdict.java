package dev.dcache.system.history;

import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * What {@link LinearizabilityChecker#check} found: one {@link KeyVerdict} per key, in key order,
 * and counts of what was checked. Only {@link #linearizable()} is a pass; an UNDECIDED key is not.
 * {@link #report()} (also {@link #toString()}) renders it for a failure message.
 *
 * @param keys        one per key
 * @param counts      what was checked
 * @param originNanos the invocation time of the first operation, from which rendered times count
 */
public record Verdict(List<KeyVerdict> keys, Counts counts, long originNanos) {
    /** Rendered keys at most, so a run with a broken cluster still gives a readable message. */
    private static final int RENDERED_KEYS = 10;

    /** The verdict on one key. */
    public enum Result {
        /** A linearization exists. */
        LINEARIZABLE,
        /** None exists: the cache broke its promise on this key. */
        NOT_LINEARIZABLE,
        /** The search ran out of budget: unknown, never a pass. */
        UNDECIDED
    }

    /**
     * @param keys                keys checked
     * @param ops                 operations given, of all kinds and outcomes
     * @param ok                  of which OK
     * @param unknown             of which UNKNOWN
     * @param unknownReadsDropped of the UNKNOWN ones, reads: they tell nothing and were not checked
     */
    public record Counts(int keys, int ops, int ok, int unknown, int unknownReadsDropped) {
    }

    /**
     * One key's verdict.
     *
     * @param ops            operations checked (UNKNOWN reads dropped)
     * @param steps          steps the search took
     * @param longestPartial operations in the longest partial linearization the search found (all
     *                       of them when linearizable); it ends where every next operation was
     *                       refused, by its result or because it would leave a read nothing to read
     *                       from
     * @param minimal        when NOT_LINEARIZABLE, a sub-history that is not linearizable either,
     *                       by invocation time; empty otherwise
     * @param oneMinimal     whether removing any one operation of {@code minimal} (with the reads
     *                       that may have seen it) was shown to make it linearizable
     * @param minimalPartial the longest partial linearization of {@code minimal}, in order: where
     *                       it gets stuck
     */
    public record KeyVerdict(String key, Result result, int ops, long steps, int longestPartial, List<Op> minimal,
                             boolean oneMinimal, List<Op> minimalPartial) {
        /**
         * A heading line (with the steps taken, when UNDECIDED), and for a key not linearizable its
         * minimal sub-history, one line per operation, times in ms since {@code originNanos}.
         */
        public String render(long originNanos) {
            StringBuilder out = new StringBuilder();
            String budget = result == Result.UNDECIDED ? " after " + steps + " steps" : "";
            out.append(String.format(Locale.ROOT, "key %s: %s%s, %d ops, longest partial linearization %d ops\n",
                    key, result, budget, ops, longestPartial));
            if (minimal.isEmpty()) {
                return out.toString();
            }
            out.append(String.format(Locale.ROOT,
                    "  %s sub-history of %d ops (ms since the first op of the history):\n", oneMinimal ? "1-minimal" : "shrunk (not shown 1-minimal)", minimal.size()));
            out.append(String.format(Locale.ROOT, "    %-7s %-26s %12s %12s  %s\n",
                    "client", "operation", "invoked", "completed", "outcome"));
            for (Op op : minimal) {
                out.append(String.format(Locale.ROOT, "    c%-6d %-26s %12.3f %12.3f  %s\n", op.client(), describe(op),
                        millis(op.invokedAt() - originNanos), millis(op.completedAt() - originNanos), op.outcome()));
            }
            out.append("  longest partial linearization of it: ")
                    .append(minimalPartial.stream().map(op -> "c" + op.client() + " " + describe(op))
                            .collect(Collectors.joining(", ", "[", "]")))
                    .append("\n");
            return out.toString();
        }

        private static String describe(Op op) {
            boolean known = op.outcome() == Op.Outcome.OK;
            return switch (op.kind()) {
                case WRITE -> "write \"" + op.value() + "\"";
                case READ -> "read -> " + (!known ? "?" : op.value() == null ? "absent" : "\"" + op.value() + "\"");
                case DELETE -> "delete -> " + (!known ? "?" : op.existed() ? "existed" : "absent");
            };
        }

        private static double millis(long nanos) {
            return nanos / 1e6;
        }
    }

    /** Whether every key is {@link Result#LINEARIZABLE}. */
    public boolean linearizable() {
        return keys.stream().allMatch(k -> k.result() == Result.LINEARIZABLE);
    }

    /** The keys with {@code result}, in key order. */
    public List<KeyVerdict> keysWith(Result result) {
        return keys.stream().filter(k -> k.result() == result).toList();
    }

    /** A summary line, then every key that is not linearizable (at most ten), rendered. */
    public String report() {
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%d keys: %d linearizable, %d NOT linearizable, %d undecided; "
                        + "%d ops: %d ok, %d unknown (%d unknown reads dropped)\n",
                counts.keys(), keysWith(Result.LINEARIZABLE).size(), keysWith(Result.NOT_LINEARIZABLE).size(),
                keysWith(Result.UNDECIDED).size(), counts.ops(), counts.ok(), counts.unknown(),
                counts.unknownReadsDropped()));
        List<KeyVerdict> bad = keys.stream().filter(k -> k.result() != Result.LINEARIZABLE).toList();
        bad.stream().limit(RENDERED_KEYS).forEach(k -> out.append(k.render(originNanos)));
        if (bad.size() > RENDERED_KEYS) {
            out.append("... and ").append(bad.size() - RENDERED_KEYS).append(" more keys").append("\n");
        }
        return out.toString();
    }

    @Override
    public String toString() {
        return report();
    }
}
