package dev.dcache.system.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HistoryTest {
    private final AtomicLong clock = new AtomicLong(1_000);
    private final History history = new History(clock::get);

    @Test
    void write_acknowledged_invokedWhenOpenedCompletedWhenAnswered() {
        History.WriteCall call = history.write(1, "k", "v");
        clock.set(1_250);
        call.ok();

        assertThat(history.ops()).containsExactly(Op.write(1, "k", "v", 1_000, 1_250, Op.Outcome.OK));
    }

    @Test
    void readAndDelete_answered_recordTheirResults() {
        history.read(1, "k").ok(null);
        history.read(1, "k").ok("v");
        history.delete(2, "k").ok(true);

        assertThat(history.ops()).containsExactly(
                Op.read(1, "k", null, 1_000, 1_000), Op.read(1, "k", "v", 1_000, 1_000),
                Op.delete(2, "k", true, 1_000, 1_000));
    }

    @Test
    void close_notCompleted_recordsUnknownKeepingTheWrittenValue() {
        assertThatThrownBy(() -> {
            try (History.WriteCall ignored = history.write(1, "k", "v")) {
                clock.set(5_000);
                throw new IllegalStateException("connection reset");
            }
        }).hasMessage("connection reset");

        assertThat(history.ops()).containsExactly(Op.write(1, "k", "v", 1_000, 5_000, Op.Outcome.UNKNOWN));
    }

    @Test
    void close_afterOk_keepsOk() {
        try (History.DeleteCall call = history.delete(1, "k")) {
            call.ok(false);
        }

        assertThat(history.ops()).containsExactly(Op.delete(1, "k", false, 1_000, 1_000));
    }

    @Test
    void ok_calledTwice_rejected() {
        History.ReadCall call = history.read(1, "k");
        call.ok("v");

        assertThatThrownBy(() -> call.ok("w"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already");
    }

    @Test
    void ops_callStillOpen_unknownCompletedNow() {
        history.write(3, "k", "v");
        clock.set(9_000);

        assertThat(history.ops()).containsExactly(Op.write(3, "k", "v", 1_000, 9_000, Op.Outcome.UNKNOWN));
    }

    @Test
    void record_eightThreadsOnAConcurrentMap_everyOpKeptAndLinearizable() throws InterruptedException {
        History real = new History();
        Map<String, String> store = new ConcurrentHashMap<>();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 8; c++) {
            int client = c;
            clients.add(Thread.ofPlatform().start(() -> {
                for (int i = 0; i < 500; i++) {
                    String key = "k" + ThreadLocalRandom.current().nextInt(4);
                    switch (ThreadLocalRandom.current().nextInt(3)) {
                        case 0 -> {
                            String value = client + "-" + i;
                            try (History.WriteCall call = real.write(client, key, value)) {
                                store.put(key, value);
                                call.ok();
                            }
                        }
                        case 1 -> {
                            try (History.ReadCall call = real.read(client, key)) {
                                call.ok(store.get(key));
                            }
                        }
                        default -> {
                            try (History.DeleteCall call = real.delete(client, key)) {
                                call.ok(store.remove(key) != null);
                            }
                        }
                    }
                }
            }));
        }
        for (Thread client : clients) {
            client.join();
        }

        List<Op> ops = real.ops();
        Verdict verdict = LinearizabilityChecker.check(ops, Duration.ofSeconds(10));

        assertThat(ops).hasSize(4_000).allMatch(op -> op.completedAt() - op.invokedAt() >= 0);
        assertThat(verdict.linearizable()).as("%s", verdict).isTrue();
    }
}
