package dev.dcache.system.history;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.IntStream;

/**
 * Decides whether a recorded history of register operations is linearizable, key by key.
 *
 * <h2>Design</h2>
 *
 * <p><b>Keys are checked alone.</b> Linearizability is compositional: a history is linearizable iff
 * the sub-history of every object is (Herlihy and Wing). Each key is an independent register, so the
 * history is split by key and each part gets its own search and its own budget; one hard key cannot
 * starve the others, and the verdict names the key that is wrong.
 *
 * <p><b>The search</b> is the one of Wing and Gong as improved by Lowe, the algorithm of Porcupine
 * and Knossos. Every operation becomes a call entry and a return entry, sorted by time into a doubly
 * linked list (a return after a call at the same instant, so touching intervals count as
 * overlapping). Walking the list from its head, any call met before the first return belongs to an
 * operation that may be linearized next: none of the operations still waiting returned before it
 * was invoked. The walk tries the first such call whose result the register model accepts in the
 * current state, takes its call and return entries out of the list, pushes it on a stack and starts
 * again from the head. Meeting a return entry means the operation it closes can no longer be
 * linearized in time: pop the last choice, put its entries back (the dancing-links trick makes this
 * O(1)) and try the next call after it. An empty list is a linearization; backtracking past an empty
 * stack proves there is none. The stack and the list live in arrays: no recursion, so a history of
 * any length cannot overflow the thread stack.
 *
 * <p><b>Memoization</b> is Lowe's: the rest of the search depends only on which operations are
 * linearized and on the register's state, not on their order, so each (set, state) pair is explored
 * once. The set is a bitset, its hash kept incrementally by XOR of a random 64-bit word per
 * operation (Zobrist hashing); values are interned to small integers, so a state is an int.
 *
 * <p><b>Two exact prunings</b> keep the pairs few. Without them a linearizable 2,000-operation
 * history of eight clients took about 200,000 steps, and rejecting one with a stale read up to six
 * million steps and a gigabyte of memo; with them about 15,000 and two million.
 * <ul>
 *   <li>A <em>pure</em> operation, one that leaves the state as it found it (an OK read, an OK delete
 *       that found nothing), is linearized as soon as the state allows, before any other
 *       candidate, and backtracking never tries the alternative: if a linearization exists
 *       without it now, moving it to the front gives one with it, so leaving it out cannot succeed
 *       where taking it failed. Without this, every subset of the reads waiting on the current
 *       value is a pair of its own, and a write tried first hides the value they wait for.
 *   <li>A <em>stranded</em> read fails the pair at once: a read left to linearize whose value is
 *       not the state and that no operation left can produce (no write of it left; no delete left,
 *       for absent). Counting reads and producers left per value makes this O(1) per step. It
 *       stops the search from linearizing a write early and then exploring a long future that a
 *       read of the overwritten value dooms anyway.
 * </ul>
 * A history that is not linearizable still makes the search visit every pair reachable before the
 * failure (about two hundred per operation for eight clients): the price of the proof.
 *
 * <p><b>UNKNOWN operations.</b> A write or delete whose outcome the client does not know may take
 * effect at any time after it was invoked, or never. As in Knossos and Porcupine its return is put
 * at +infinity and its result ignored: it may be linearized anywhere after its call, and "never" is
 * the same as "last", so the search succeeds once every known operation is placed. An UNKNOWN read
 * changes nothing and tells nothing, so it is dropped, and so is an UNKNOWN write or delete that no
 * read or delete could have observed (none returned what it leaves and completed after it was
 * invoked): placing it last never hurts, and with no possible observer placing it earlier never
 * helps, so this is exact too, and it keeps open operations from multiplying the pairs.
 *
 * <p><b>Budget.</b> A pathological key (many overlapping writes, no read to prune them) can still
 * blow up, so each search has a step and a time budget. Running out gives
 * {@link Verdict.Result#UNDECIDED}, which is never a pass.
 *
 * <p><b>Shrinking.</b> For a key that is not linearizable, {@link Shrinker} cuts its history down to
 * a small one that still is not and from which removing any one operation (with the reads that may
 * have seen it) makes it linearizable, using this search as the test. The search also reports the
 * longest partial linearization it found, which for a shrunk history shows where it gets stuck.
 */
public final class LinearizabilityChecker {
    /** Steps between two looks at the clock: a look is cheaper than a step only in bulk. */
    private static final int CLOCK_EVERY = 1024;
    private static final int NIL = -1;
    private static final int ABSENT = 0;
    private static final int REJECTED = -1;

    private LinearizabilityChecker() {
    }

    /**
     * Checks every key of {@code ops} with a time budget per key and no step limit.
     *
     * @see #check(List, Duration, long)
     */
    public static Verdict check(List<Op> ops, Duration budgetPerKey) {
        return check(ops, budgetPerKey, Long.MAX_VALUE);
    }

    /**
     * Checks every key of {@code ops}. Each key's search may take {@code budgetPerKey} and
     * {@code maxStepsPerKey} steps; a key found not linearizable may take as long again to shrink,
     * each candidate with the same step limit.
     *
     * @param ops            operations in any order, of any keys, UNKNOWN ones included
     * @param budgetPerKey   wall time for one key's search
     * @param maxStepsPerKey steps for one search (a step tries or undoes one operation)
     * @throws IllegalArgumentException if the budget is not positive
     */
    public static Verdict check(List<Op> ops, Duration budgetPerKey, long maxStepsPerKey) {
        if (budgetPerKey.isNegative() || budgetPerKey.isZero()) {
            throw new IllegalArgumentException("budgetPerKey must be positive: " + budgetPerKey);
        }
        if (maxStepsPerKey <= 0) {
            throw new IllegalArgumentException("maxStepsPerKey must be positive: " + maxStepsPerKey);
        }
        long budget = budgetPerKey.toNanos();
        Map<String, List<Op>> byKey = new TreeMap<>();
        int unknown = 0;
        int droppedReads = 0;
        for (Op op : ops) {
            if (op.outcome() == Op.Outcome.UNKNOWN) {
                unknown++;
                if (op.kind() == Op.Kind.READ) {
                    droppedReads++;
                    continue;
                }
            }
            byKey.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op);
        }
        List<Verdict.KeyVerdict> keys = new ArrayList<>(byKey.size());
        for (Map.Entry<String, List<Op>> entry : byKey.entrySet()) {
            List<Op> history = entry.getValue();
            history.sort(Comparator.comparingLong(Op::invokedAt));
            Search search = search(history, System.nanoTime() + budget, maxStepsPerKey);
            List<Op> minimal = List.of();
            List<Op> minimalPartial = List.of();
            boolean oneMinimal = false;
            if (search.result == Verdict.Result.NOT_LINEARIZABLE) {
                Shrinker.Shrunk shrunk = Shrinker.shrink(history, System.nanoTime() + budget, maxStepsPerKey);
                minimal = shrunk.ops();
                oneMinimal = shrunk.oneMinimal();
                minimalPartial = search(minimal, System.nanoTime() + budget, maxStepsPerKey).longestPartial;
            }
            keys.add(new Verdict.KeyVerdict(entry.getKey(), search.result, history.size(), search.steps,
                    search.longestPartial.size(), minimal, oneMinimal, minimalPartial));
        }
        long origin = ops.stream().mapToLong(Op::invokedAt).min().orElse(0);
        return new Verdict(keys, new Verdict.Counts(byKey.size(), ops.size(), ops.size() - unknown, unknown,
                droppedReads), origin);
    }

    /**
     * What one search found.
     *
     * @param longestPartial the longest sequence of operations it linearized, in that order; all
     *                       of them for a linearizable history
     */
    record Search(Verdict.Result result, long steps, List<Op> longestPartial) {
    }

    /**
     * Searches one key's history for a linearization; UNKNOWN reads are ignored.
     *
     * @param deadline {@link System#nanoTime()} after which the search gives up
     */
    static Search search(List<Op> keyHistory, long deadline, long maxSteps) {
        return new Walk(keyHistory).run(deadline, maxSteps);
    }

    /** The state of one search: the entry list, the stack of linearized operations, the memo. */
    private static final class Walk {
        private final List<Op> history;
        private final Op[] ops;
        /** Per operation: its value interned (0 absent), whether it is pure, whether it is open. */
        private final int[] value;
        private final boolean[] pure;
        private final boolean[] open;
        /** Entries: 2i is the call of op i, 2i+1 its return, {@code head} the list's head. */
        private final int head;
        private final int[] next;
        private final int[] prev;
        private final long[] zobrist;
        private final long[] linearized;
        private long hash;
        private final Set<Config> seen = new HashSet<>();
        private final int[] stackOp;
        private final int[] stackState;
        private int depth;
        private int knownLeft;
        private int state = ABSENT;
        private int[] longest = new int[0];
        /**
         * Per value (0 absent): reads of it not linearized yet, and operations not linearized yet
         * that could produce it (its writes; every delete for absent). A value with reads left, no
         * producer left and other than the state is "stranded": those reads can never succeed.
         */
        private final int[] readsLeft;
        private final int[] producersLeft;
        private int stranded;

        Walk(List<Op> history) {
            this.history = history;
            ops = withoutUnobservable(history);
            int n = ops.length;
            value = new int[n];
            pure = new boolean[n];
            open = new boolean[n];
            Map<String, Integer> ids = new HashMap<>();
            for (int i = 0; i < n; i++) {
                Op op = ops[i];
                value[i] = op.value() == null ? ABSENT : ids.computeIfAbsent(op.value(), v -> ids.size() + 1);
                pure[i] = op.outcome() == Op.Outcome.OK
                        && (op.kind() == Op.Kind.READ || (op.kind() == Op.Kind.DELETE && !op.existed()));
                open[i] = op.outcome() == Op.Outcome.UNKNOWN;
                knownLeft += open[i] ? 0 : 1;
            }
            readsLeft = new int[ids.size() + 1];
            producersLeft = new int[ids.size() + 1];
            for (int i = 0; i < n; i++) {
                count(i, 1);
            }
            head = 2 * n;
            next = new int[2 * n + 1];
            prev = new int[2 * n + 1];
            int last = head;
            for (int e : sortedEntries(ops)) {
                next[last] = e;
                prev[e] = last;
                last = e;
            }
            next[last] = NIL;
            zobrist = new SplittableRandom(n).longs(n).toArray();
            linearized = new long[(n + 63) / 64];
            stackOp = new int[n];
            stackState = new int[n];
        }

        Search run(long deadline, long maxSteps) {
            long steps = 0;
            if (strandedIn(state)) {
                return new Search(Verdict.Result.NOT_LINEARIZABLE, steps, List.of());
            }
            int e = next[head];
            boolean purePass = true; // first only the pure candidates: taking them now is never worse
            while (knownLeft > 0) {
                steps++;
                if (steps > maxSteps || (steps % CLOCK_EVERY == 0 && System.nanoTime() - deadline > 0)) {
                    return new Search(Verdict.Result.UNDECIDED, steps,
                            pick(depth > longest.length ? Arrays.copyOf(stackOp, depth) : longest));
                }
                if ((e & 1) == 0) { // a call: try to linearize its operation now
                    int op = e >> 1;
                    int after = pure[op] == purePass ? step(ops[op], value[op], state) : REJECTED;
                    if (after != REJECTED && push(op, after)) {
                        e = next[head];
                        purePass = true;
                        continue;
                    }
                    if (after == REJECTED || !pure[op]) {
                        e = next[e]; // never NIL: the call's own return is still behind it
                        continue;
                    }
                    // a pure operation leads to a pair that fails: this pair fails too
                } else if (purePass) {
                    purePass = false;
                    e = next[head];
                    continue;
                }
                // a return (its operation cannot wait any longer) or a failed pair: undo the last
                // choice; a pure operation was no choice, so undo past it
                int op;
                do {
                    if (depth == 0) {
                        return new Search(Verdict.Result.NOT_LINEARIZABLE, steps, pick(longest));
                    }
                    if (depth > longest.length) {
                        longest = Arrays.copyOf(stackOp, depth);
                    }
                    op = pop();
                } while (pure[op]);
                purePass = false;
                e = next[2 * op];
            }
            // what is still open takes effect last, or never, as do the operations nobody could observe
            List<Op> linearization = new ArrayList<>(pick(Arrays.copyOf(stackOp, depth)));
            Set<Op> placed = Collections.newSetFromMap(new IdentityHashMap<>());
            placed.addAll(linearization);
            history.stream().filter(o -> !placed.contains(o)).forEach(linearization::add);
            return new Search(Verdict.Result.LINEARIZABLE, steps, linearization);
        }

        /**
         * Linearizes op, leading to state {@code after}, unless that pair was explored already or
         * strands a read.
         */
        private boolean push(int op, int after) {
            count(op, -1);
            flip(op);
            if (strandedIn(after) || seen.contains(new Config(linearized, after, hash))) {
                flip(op);
                count(op, 1);
                return false;
            }
            seen.add(new Config(linearized.clone(), after, hash));
            stackOp[depth] = op;
            stackState[depth] = state;
            depth++;
            knownLeft -= open[op] ? 0 : 1;
            state = after;
            lift(op);
            return true;
        }

        private int pop() {
            depth--;
            int op = stackOp[depth];
            count(op, 1);
            state = stackState[depth];
            knownLeft += open[op] ? 0 : 1;
            flip(op);
            unlift(op);
            return op;
        }

        /** Counts op among what is left to linearize ({@code delta} 1) or no longer ({@code -1}). */
        private void count(int op, int delta) {
            int v = ops[op].kind() == Op.Kind.DELETE ? ABSENT : value[op];
            boolean before = isStranded(v);
            (ops[op].kind() == Op.Kind.READ ? readsLeft : producersLeft)[v] += delta;
            stranded += (isStranded(v) ? 1 : 0) - (before ? 1 : 0);
        }

        /** Whether, in state {@code s}, some read left wants a value that nothing left can produce. */
        private boolean strandedIn(int s) {
            return stranded > (isStranded(s) ? 1 : 0);
        }

        private boolean isStranded(int v) {
            return readsLeft[v] > 0 && producersLeft[v] == 0;
        }

        private void flip(int op) {
            linearized[op >> 6] ^= 1L << op;
            hash ^= zobrist[op];
        }

        /** Takes op's call and return entries out of the list; they stay linked to where they were. */
        private void lift(int op) {
            int call = 2 * op;
            int ret = call + 1;
            next[prev[call]] = next[call];
            prev[next[call]] = prev[call];
            next[prev[ret]] = next[ret];
            if (next[ret] != NIL) {
                prev[next[ret]] = prev[ret];
            }
        }

        /** Undoes {@link #lift}, in reverse order. */
        private void unlift(int op) {
            int call = 2 * op;
            int ret = call + 1;
            next[prev[ret]] = ret;
            if (next[ret] != NIL) {
                prev[next[ret]] = ret;
            }
            next[prev[call]] = call;
            prev[next[call]] = call;
        }

        private List<Op> pick(int[] indices) {
            return Arrays.stream(indices).mapToObj(i -> ops[i]).toList();
        }
    }

    /** The register's state after {@code op} in {@code state}, or REJECTED if op's result says otherwise. */
    private static int step(Op op, int opValue, int state) {
        return switch (op.kind()) {
            case WRITE -> opValue;
            case READ -> opValue == state ? state : REJECTED;
            case DELETE -> op.outcome() == Op.Outcome.UNKNOWN || op.existed() == (state != ABSENT)
                    ? ABSENT : REJECTED;
        };
    }

    /** Drops the UNKNOWN writes and deletes whose effect no operation could have observed. */
    private static Op[] withoutUnobservable(List<Op> history) {
        List<Op> observers = history.stream()
                .filter(o -> o.outcome() == Op.Outcome.OK && o.kind() != Op.Kind.WRITE).toList();
        return history.stream()
                .filter(op -> op.outcome() == Op.Outcome.OK
                        || observers.stream().anyMatch(o -> o.mayObserve(op) && !o.precedes(op)))
                .toArray(Op[]::new);
    }

    /**
     * Entry ids sorted by time, a call before a return at the same instant; UNKNOWN writes and
     * deletes return at +infinity.
     */
    private static int[] sortedEntries(Op[] ops) {
        long origin = Arrays.stream(ops).mapToLong(Op::invokedAt).min().orElse(0);
        long[] time = new long[2 * ops.length];
        for (int i = 0; i < ops.length; i++) {
            time[2 * i] = ops[i].invokedAt() - origin;
            boolean open = ops[i].outcome() == Op.Outcome.UNKNOWN;
            time[2 * i + 1] = open ? Long.MAX_VALUE : ops[i].completedAt() - origin;
        }
        return IntStream.range(0, time.length).boxed()
                .sorted(Comparator.<Integer>comparingLong(e -> time[e]).thenComparingInt(e -> e & 1)
                        .thenComparingInt(e -> e))
                .mapToInt(Integer::intValue).toArray();
    }

    /** A memoized search state: which operations are linearized and what the register holds. */
    private record Config(long[] linearized, int state, long hash) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Config c && c.hash == hash && c.state == state
                    && Arrays.equals(c.linearized, linearized);
        }

        @Override
        public int hashCode() {
            return Long.hashCode(hash * 0x9E3779B97F4A7C15L + state);
        }
    }
}
