package dev.dcache.system.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Histories of one register made by simulating it: each client makes one call at a time, each
 * call takes effect at a random instant of its interval, and results are computed by applying the
 * calls in the order of those instants. Linearizable by construction, so a checker that rejects
 * one is wrong.
 */
final class RandomRegisterHistory {
    private static final long MICROS = 1_000;

    private RandomRegisterHistory() {
    }

    /** Every write with a value of its own, as the system tests write them. */
    static List<Op> generate(String key, int clients, int ops, int unknownWrites, long seed) {
        return generate(key, clients, ops, unknownWrites, 0, seed);
    }

    /**
     * @param unknownWrites writes recorded as UNKNOWN; half of them never take effect, the others
     *                      take effect up to a millisecond after the client gave up
     * @param values        how many values writes choose from, or 0 for a value of their own each
     */
    static List<Op> generate(String key, int clients, int ops, int unknownWrites, int values, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        long[] clientFree = new long[clients];
        List<Call> calls = new ArrayList<>(ops);
        for (int i = 0; i < ops; i++) {
            int client = earliest(clientFree);
            long invoked = clientFree[client] + random.nextLong(50 * MICROS);
            long completed = invoked + 20 * MICROS + random.nextLong(400 * MICROS);
            clientFree[client] = completed;
            int dice = random.nextInt(100);
            Op.Kind kind = dice < 45 ? Op.Kind.WRITE : dice < 55 ? Op.Kind.DELETE : Op.Kind.READ;
            String value = kind != Op.Kind.WRITE ? null
                    : values == 0 ? "c" + client + "-" + i : "v" + random.nextInt(values);
            calls.add(new Call(client, kind, value, invoked, completed, random.nextLong(invoked, completed + 1)));
        }
        for (int u = 0; u < unknownWrites; u++) {
            int i = random.nextInt(ops);
            Call call = calls.get(i);
            if (call.kind == Op.Kind.WRITE && !call.unknown) {
                call.unknown = true;
                call.effectAt = u % 2 == 0 ? Long.MAX_VALUE : call.completed + random.nextLong(1_000 * MICROS);
            } else {
                u--; // try another; there are plenty of OK writes
            }
        }

        List<Call> byEffect = new ArrayList<>(calls);
        byEffect.sort(Comparator.comparingLong(c -> c.effectAt));
        String state = null;
        for (Call call : byEffect) {
            switch (call.kind) {
                case WRITE -> state = call.effectAt == Long.MAX_VALUE ? state : call.value;
                case READ -> call.value = state;
                case DELETE -> {
                    call.existed = state != null;
                    state = null;
                }
            }
        }
        return calls.stream().map(c -> c.toOp(key)).sorted(Comparator.comparingLong(Op::invokedAt)).toList();
    }

    /**
     * A read of {@code history} changed to return a value overwritten before it was invoked: the
     * value of an acknowledged write W1 that completed before another acknowledged write W2
     * was invoked, W2 completing before the read was invoked. Picked in the middle of the history.
     *
     * @return the changed history and the changed read
     */
    static Stale withStaleRead(List<Op> history) {
        for (int r = history.size() / 2; r < history.size(); r++) {
            Op read = history.get(r);
            if (read.kind() != Op.Kind.READ) {
                continue;
            }
            Op w2 = latestAckedWriteBefore(history, read.invokedAt());
            Op w1 = w2 == null ? null : latestAckedWriteBefore(history, w2.invokedAt());
            if (w1 != null) {
                Op stale = Op.read(read.client(), read.key(), w1.value(), read.invokedAt(), read.completedAt());
                List<Op> changed = new ArrayList<>(history);
                changed.set(r, stale);
                return new Stale(changed, stale);
            }
        }
        throw new IllegalArgumentException("no read with two acknowledged writes before it");
    }

    record Stale(List<Op> history, Op staleRead) {
    }

    private static Op latestAckedWriteBefore(List<Op> history, long instant) {
        return history.stream()
                .filter(o -> o.kind() == Op.Kind.WRITE && o.outcome() == Op.Outcome.OK && o.completedAt() < instant)
                .max(Comparator.comparingLong(Op::completedAt)).orElse(null);
    }

    private static int earliest(long[] times) {
        int best = 0;
        for (int i = 1; i < times.length; i++) {
            if (times[i] < times[best]) {
                best = i;
            }
        }
        return best;
    }

    /** A call while it is simulated: its result is filled in when its effect is applied. */
    private static final class Call {
        final int client;
        final Op.Kind kind;
        final long invoked;
        final long completed;
        String value;
        boolean existed;
        boolean unknown;
        long effectAt;

        Call(int client, Op.Kind kind, String value, long invoked, long completed, long effectAt) {
            this.client = client;
            this.kind = kind;
            this.value = value;
            this.invoked = invoked;
            this.completed = completed;
            this.effectAt = effectAt;
        }

        Op toOp(String key) {
            return switch (kind) {
                case WRITE -> Op.write(client, key, value, invoked, completed,
                        unknown ? Op.Outcome.UNKNOWN : Op.Outcome.OK);
                case READ -> Op.read(client, key, value, invoked, completed);
                case DELETE -> Op.delete(client, key, existed, invoked, completed);
            };
        }
    }
}
