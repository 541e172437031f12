package dev.dcache.system.history;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Records the operations of concurrent clients, for {@link LinearizabilityChecker}.
 *
 * <p>A client opens a call before it sends the request, which takes the invocation time, and
 * completes it after the answer came back, which takes the completion time; a call left open is
 * recorded as {@link Op.Outcome#UNKNOWN}, so an exception between the two can only widen what the
 * checker allows, never lose a write that may have happened:
 *
 * <pre>{@code
 * try (History.WriteCall call = history.write(clientId, key, value)) {
 *     HttpResponse<String> answer = http.send(put(key, value), BodyHandlers.ofString());
 *     if (answer.statusCode() == 200) {
 *         call.ok();
 *     }
 * } // a timeout, a 5xx or any exception leaves the call UNKNOWN
 *
 * try (History.ReadCall call = history.read(clientId, key)) {
 *     HttpResponse<String> answer = http.send(get(key), BodyHandlers.ofString());
 *     switch (answer.statusCode()) {
 *         case 200 -> call.ok(answer.body());
 *         case 404 -> call.ok(null); // absent
 *         default -> { } // UNKNOWN: a read that tells nothing is not checked
 *     }
 * }
 *
 * Verdict verdict = LinearizabilityChecker.check(history.ops(), Duration.ofSeconds(10));
 * assertThat(verdict.linearizable()).as("%s", verdict).isTrue();
 * }</pre>
 *
 * <p>An answer that says the request was refused (a 400, say) may be left UNKNOWN as well: that
 * is sound, only a little less strict. Take {@link #ops()} after the clients stopped; a call still
 * open then counts as UNKNOWN.
 *
 * <p>Thread-safe: any number of threads may record at once. The list of calls is guarded by
 * {@code this}; each call completes at most once, which an atomic flag enforces.
 */
public final class History {
    private final LongSupplier nanoClock;
    private final List<Call> calls = new ArrayList<>(); // guarded by this

    /** A history timed by {@link System#nanoTime()}. */
    public History() {
        this(System::nanoTime);
    }

    /** A history timed by {@code nanoClock}, which tests advance by hand. */
    public History(LongSupplier nanoClock) {
        this.nanoClock = nanoClock;
    }

    /** Opens a write of {@code value}; call it right before sending the request. */
    public WriteCall write(int client, String key, String value) {
        if (value == null) {
            throw new IllegalArgumentException("a write needs a value (key " + key + ", client " + client + ")");
        }
        return register(new WriteCall(client, key, value));
    }

    /** Opens a read; call it right before sending the request. */
    public ReadCall read(int client, String key) {
        return register(new ReadCall(client, key));
    }

    /** Opens a delete; call it right before sending the request. */
    public DeleteCall delete(int client, String key) {
        return register(new DeleteCall(client, key));
    }

    private synchronized <C extends Call> C register(C call) {
        calls.add(call);
        return call;
    }

    /**
     * The operations recorded so far, by invocation time. A call still open counts as UNKNOWN,
     * completed now: it may yet take effect.
     */
    public List<Op> ops() {
        List<Call> snapshot;
        synchronized (this) {
            snapshot = List.copyOf(calls);
        }
        long now = nanoClock.getAsLong();
        List<Op> ops = new ArrayList<>(snapshot.size());
        for (Call call : snapshot) {
            Op done = call.done;
            ops.add(done != null ? done : call.toOp(null, false, now, Op.Outcome.UNKNOWN));
        }
        ops.sort(Comparator.comparingLong(Op::invokedAt));
        return ops;
    }

    /**
     * A request sent and not yet answered. Complete it once, with the kind's {@code ok} method or
     * {@link #unknown()}; {@link #close()} makes a call not completed by then UNKNOWN.
     */
    public abstract sealed class Call implements AutoCloseable permits WriteCall, ReadCall, DeleteCall {
        private final int client;
        private final String key;
        private final Op.Kind kind;
        private final String written;
        private final long invokedAt;
        private final AtomicBoolean completed = new AtomicBoolean();
        private volatile Op done;

        private Call(int client, String key, Op.Kind kind, String written) {
            this.client = client;
            this.key = key;
            this.kind = kind;
            this.written = written;
            this.invokedAt = nanoClock.getAsLong();
        }

        /** The client does not know whether the request took effect (timeout, 5xx, connection error). */
        public final void unknown() {
            finish(null, false, Op.Outcome.UNKNOWN);
        }

        /** Records the call as UNKNOWN unless it was completed; a no-op after completion. */
        @Override
        public final void close() {
            tryFinish(null, false, Op.Outcome.UNKNOWN);
        }

        final void finish(String returned, boolean existed, Op.Outcome outcome) {
            if (!tryFinish(returned, existed, outcome)) {
                throw new IllegalStateException("call already completed: " + done);
            }
        }

        private boolean tryFinish(String returned, boolean existed, Op.Outcome outcome) {
            long completedAt = nanoClock.getAsLong(); // after the answer: the caller had it in hand
            if (!completed.compareAndSet(false, true)) {
                return false;
            }
            done = toOp(returned, existed, completedAt, outcome);
            return true;
        }

        private Op toOp(String returned, boolean existed, long completedAt, Op.Outcome outcome) {
            String value = kind == Op.Kind.WRITE ? written : returned;
            return new Op(client, key, kind, value, existed, invokedAt, completedAt, outcome);
        }
    }

    /** An open write. */
    public final class WriteCall extends Call {
        private WriteCall(int client, String key, String value) {
            super(client, key, Op.Kind.WRITE, value);
        }

        /** The write was acknowledged. */
        public void ok() {
            finish(null, false, Op.Outcome.OK);
        }
    }

    /** An open read. */
    public final class ReadCall extends Call {
        private ReadCall(int client, String key) {
            super(client, key, Op.Kind.READ, null);
        }

        /** The read answered {@code returned}; {@code null} when the key was absent (404). */
        public void ok(String returned) {
            finish(returned, false, Op.Outcome.OK);
        }
    }

    /** An open delete. */
    public final class DeleteCall extends Call {
        private DeleteCall(int client, String key) {
            super(client, key, Op.Kind.DELETE, null);
        }

        /** The delete answered: the key held a value (200, {@code existed}) or was absent (404). */
        public void ok(boolean existed) {
            finish(null, existed, Op.Outcome.OK);
        }
    }
}
