package dev.dcache.system.history;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Cuts a history that is not linearizable down to a 1-minimal one, by delta debugging (Zeller's
 * ddmin: remove halves, then quarters, ... then single operations, keeping any removal after
 * which the history is still not linearizable).
 *
 * <p><b>What one removal takes away.</b> Removing a write alone would leave the reads that
 * returned its value unexplained, and the shrunk history would fail for a reason the recorded one
 * did not have: any history shrinks to "a read of a value nobody wrote". So removing an operation
 * that changes the state also removes, transitively, every operation that may have observed what
 * it left (a read or delete that returned its value or its absence, and did not complete before it
 * was invoked). Such a removal never turns a linearizable history into one that is not (in a
 * linearization, whatever read the removed operation's effect goes with it; ShrinkerTest checks
 * this against brute force), so every failure the shrinker keeps is one the recorded history had. "1-minimal" is meant in that sense:
 * removing any one operation, with what may have observed it, makes the result linearizable.
 */
final class Shrinker {
    private Shrinker() {
    }

    /**
     * @param ops        the shrunk history, still not linearizable
     * @param oneMinimal whether every single removal was shown to make it linearizable; false when
     *                   the deadline or the step limit cut the shrinking short
     */
    record Shrunk(List<Op> ops, boolean oneMinimal) {
    }

    /** Shrinks {@code failing}, one key's history that is not linearizable, until {@code deadline}. */
    static Shrunk shrink(List<Op> failing, long deadline, long maxSteps) {
        List<Op> current = failing;
        int granularity = 2;
        while (current.size() >= 2) {
            int size = current.size();
            granularity = Math.min(granularity, size);
            boolean reduced = false;
            boolean undecided = false;
            for (int i = 0; i < granularity && !reduced; i++) {
                if (System.nanoTime() - deadline > 0) {
                    return new Shrunk(current, false);
                }
                List<Op> candidate = without(current, i * size / granularity, (i + 1) * size / granularity);
                switch (LinearizabilityChecker.search(candidate, deadline, maxSteps).result()) {
                    case NOT_LINEARIZABLE -> {
                        current = candidate;
                        reduced = true;
                    }
                    case UNDECIDED -> undecided = true;
                    case LINEARIZABLE -> {
                    }
                }
            }
            if (reduced) {
                granularity = Math.max(granularity - 1, 2);
            } else if (granularity == size) {
                return new Shrunk(current, !undecided);
            } else {
                granularity = Math.min(2 * granularity, size);
            }
        }
        return new Shrunk(current, true); // one operation: removing it leaves the empty history, linearizable
    }

    /**
     * {@code ops} without the operations at indices {@code from} (inclusive) to {@code to}
     * (exclusive), and without whatever may have observed a removed operation, transitively.
     */
    static List<Op> without(List<Op> ops, int from, int to) {
        boolean[] removed = new boolean[ops.size()];
        Deque<Integer> todo = new ArrayDeque<>();
        for (int i = from; i < to; i++) {
            todo.push(i);
        }
        while (!todo.isEmpty()) {
            int gone = todo.pop();
            if (removed[gone]) {
                continue;
            }
            removed[gone] = true;
            Op mutator = ops.get(gone);
            if (!mutator.mutates()) {
                continue;
            }
            for (int i = 0; i < ops.size(); i++) {
                Op o = ops.get(i);
                if (!removed[i] && o.mayObserve(mutator) && !o.precedes(mutator)) {
                    todo.push(i);
                }
            }
        }
        List<Op> kept = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            if (!removed[i]) {
                kept.add(ops.get(i));
            }
        }
        return kept;
    }
}
