package dev.dcache.system.history;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Linearizability by trying every order of a small history, with none of the checker's search,
 * memo or prunings: the oracle the checker is compared with.
 */
final class BruteForce {
    private BruteForce() {
    }

    /** Up to seven operations of three clients on two values, results at random, some UNKNOWN. */
    static List<Op> randomHistory(String key, SplittableRandom random) {
        List<Op> ops = new ArrayList<>();
        int size = 1 + random.nextInt(7);
        for (int i = 0; i < size; i++) {
            int client = random.nextInt(3);
            long invoked = random.nextLong(100);
            long completed = invoked + random.nextLong(40);
            String value = random.nextBoolean() ? "a" : "b";
            boolean unknown = random.nextInt(6) == 0;
            ops.add(switch (random.nextInt(3)) {
                case 0 -> Op.write(client, key, value, invoked, completed,
                        unknown ? Op.Outcome.UNKNOWN : Op.Outcome.OK);
                case 1 -> Op.read(client, key, random.nextInt(3) == 0 ? null : value, invoked, completed);
                default -> unknown ? Op.unknown(client, key, Op.Kind.DELETE, invoked, completed)
                        : Op.delete(client, key, random.nextBoolean(), invoked, completed);
            });
        }
        return ops;
    }

    /**
     * Whether some order of {@code ops} respects real time and the register; UNKNOWN writes and
     * deletes may be left out.
     */
    static boolean linearizable(List<Op> ops) {
        List<Op> checked = ops.stream()
                .filter(op -> !(op.outcome() == Op.Outcome.UNKNOWN && op.kind() == Op.Kind.READ)).toList();
        return extend(checked, new boolean[checked.size()], null);
    }

    private static boolean extend(List<Op> ops, boolean[] placed, String state) {
        boolean knownLeft = false;
        for (int i = 0; i < ops.size(); i++) {
            knownLeft |= !placed[i] && ops.get(i).outcome() == Op.Outcome.OK;
        }
        if (!knownLeft) {
            return true; // what is left is UNKNOWN: it takes effect after everything, or never
        }
        for (int i = 0; i < ops.size(); i++) {
            Op op = ops.get(i);
            if (placed[i] || !minimal(ops, placed, op)) {
                continue;
            }
            boolean ok = switch (op.kind()) {
                case WRITE -> true;
                case READ -> Objects.equals(op.value(), state);
                case DELETE -> op.outcome() == Op.Outcome.UNKNOWN || op.existed() == (state != null);
            };
            if (ok) {
                placed[i] = true;
                boolean done = extend(ops, placed, op.kind() == Op.Kind.WRITE ? op.value()
                        : op.kind() == Op.Kind.DELETE ? null : state);
                placed[i] = false;
                if (done) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Whether no operation left had to come before {@code op}: none is OK and completed before op
     * was invoked (an UNKNOWN one never completes).
     */
    private static boolean minimal(List<Op> ops, boolean[] placed, Op op) {
        for (int j = 0; j < ops.size(); j++) {
            Op other = ops.get(j);
            if (!placed[j] && other.outcome() == Op.Outcome.OK && other.completedAt() < op.invokedAt()) {
                return false;
            }
        }
        return true;
    }
}
