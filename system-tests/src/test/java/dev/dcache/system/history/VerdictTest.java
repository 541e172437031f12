package dev.dcache.system.history;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class VerdictTest {
    private static final long T0 = 5_000_000_000L; // nanoTime of the first op: rendered times count from it

    @Test
    void report_undecidedKey_saysAfterHowManySteps() {
        List<Op> ops = List.of(Op.write(1, "k", "a", T0, T0 + 10, Op.Outcome.OK),
                Op.read(2, "k", "a", T0 + 20, T0 + 30));

        String report = LinearizabilityChecker.check(ops, Duration.ofSeconds(5), 3).report();

        assertThat(report).isEqualTo("""
                1 keys: 0 linearizable, 0 NOT linearizable, 1 undecided; 2 ops: 2 ok, 0 unknown (0 unknown reads dropped)
                key k: UNDECIDED after 4 steps, 2 ops, longest partial linearization 1 ops
                """);
    }

    @Test
    void report_staleRead_summaryThenOneLinePerOpInMillisSinceTheFirstOp() {
        List<Op> ops = List.of(
                Op.write(1, "k", "a", T0, T0 + 1_250_500, Op.Outcome.OK),
                Op.write(2, "k", "b", T0 + 2_000_000, T0 + 3_000_001, Op.Outcome.OK),
                Op.read(3, "k", "a", T0 + 4_000_000, T0 + 4_500_000),
                Op.write(4, "k", "c", T0 + 4_100_000, T0 + 9_000_000, Op.Outcome.UNKNOWN),
                Op.read(1, "other", null, T0 + 100, T0 + 200));

        String report = LinearizabilityChecker.check(ops, Duration.ofSeconds(5)).report();

        assertThat(report).isEqualTo("""
                2 keys: 1 linearizable, 1 NOT linearizable, 0 undecided; 5 ops: 4 ok, 1 unknown (0 unknown reads dropped)
                key k: NOT_LINEARIZABLE, 4 ops, longest partial linearization 1 ops
                  1-minimal sub-history of 3 ops (ms since the first op of the history):
                    client  operation                       invoked    completed  outcome
                    c1      write "a"                         0.000        1.251  OK
                    c2      write "b"                         2.000        3.000  OK
                    c3      read -> "a"                       4.000        4.500  OK
                  longest partial linearization of it: [c1 write "a"]
                """);
    }
}
