package dev.dcache.system.history;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dcache.system.history.Verdict.KeyVerdict;
import dev.dcache.system.history.Verdict.Result;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LinearizabilityCheckerTest {
    private static final Duration BUDGET = Duration.ofSeconds(10);
    private static final String KEY = "k";

    @Test
    void check_sequentialWritesAndReads_linearizable() {
        assertThat(only(w(1, "a", 0, 10), r(2, "a", 20, 30), w(1, "b", 40, 50), r(2, "b", 60, 70), r(3, "b", 80, 90))
                .result()).isEqualTo(Result.LINEARIZABLE);
    }

    @Test
    void check_staleReadAfterAcknowledgedWrite_notLinearizableWithAllThreeOps() {
        Op a = w(1, "a", 0, 10);
        Op b = w(1, "b", 20, 30);
        Op stale = r(2, "a", 40, 50);

        KeyVerdict verdict = only(a, b, stale);

        assertThat(verdict.result()).isEqualTo(Result.NOT_LINEARIZABLE);
        assertThat(verdict.minimal()).containsExactly(a, b, stale);
        assertThat(verdict.oneMinimal()).isTrue();
        // write b cannot follow: it would leave the read of a nothing to read from
        assertThat(verdict.minimalPartial()).containsExactly(a);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a", "b"})
    void check_readOverlappingAWrite_eitherValueLinearizable(String seen) {
        assertThat(only(w(1, "a", 0, 10), w(1, "b", 20, 60), r(2, seen, 30, 40)).result())
                .isEqualTo(Result.LINEARIZABLE);
    }

    @Test
    void check_readsSeeConcurrentWritesInOppositeOrders_notLinearizable() {
        List<Op> common = List.of(w(1, "a", 0, 100), w(2, "b", 0, 100), r(3, "a", 10, 20), r(3, "b", 30, 40));

        assertThat(only(plus(common, r(4, "b", 50, 60), r(4, "a", 70, 80))).result())
                .isEqualTo(Result.NOT_LINEARIZABLE);
        assertThat(only(plus(common, r(4, "b", 50, 60), r(4, "b", 70, 80))).result())
                .isEqualTo(Result.LINEARIZABLE);
    }

    @Test
    void check_readOfValueNeverWritten_notLinearizable() {
        Op ghost = r(2, "never", 20, 30);

        KeyVerdict verdict = only(w(1, "a", 0, 10), ghost);

        assertThat(verdict.result()).isEqualTo(Result.NOT_LINEARIZABLE);
        assertThat(verdict.minimal()).containsExactly(ghost);
    }

    @Test
    void check_absentBeforeFirstWriteAndAfterDelete_linearizable() {
        KeyVerdict verdict = only(r(1, null, 0, 5), w(1, "a", 10, 20), d(2, true, 30, 40), r(1, null, 50, 60),
                d(2, false, 70, 80));

        assertThat(verdict.result()).isEqualTo(Result.LINEARIZABLE);
    }

    @Test
    void check_deleteReportsExistedOnAbsentKey_notLinearizable() {
        assertThat(only(d(1, true, 0, 10)).result()).isEqualTo(Result.NOT_LINEARIZABLE);
        assertThat(only(w(1, "a", 0, 10), d(1, true, 20, 30), d(2, true, 40, 50)).result())
                .isEqualTo(Result.NOT_LINEARIZABLE);
    }

    @Test
    void check_deleteReportsAbsentAfterAcknowledgedWrite_notLinearizable() {
        assertThat(only(w(1, "a", 0, 10), d(2, false, 20, 30)).result()).isEqualTo(Result.NOT_LINEARIZABLE);
    }

    @Test
    void check_unknownWriteSeenAfterItsClientGaveUp_linearizable() {
        assertThat(only(unknownWrite(1, "a", 0, 10), r(2, null, 20, 30), r(2, "a", 100, 110), r(3, "a", 120, 130))
                .result()).isEqualTo(Result.LINEARIZABLE);
    }

    @Test
    void check_unknownWriteSeenThenGoneWithoutAnotherWrite_notLinearizable() {
        assertThat(only(w(1, "a", 0, 10), unknownWrite(2, "b", 20, 30), r(3, "b", 40, 50), r(3, "a", 60, 70))
                .result()).isEqualTo(Result.NOT_LINEARIZABLE);
    }

    @Test
    void check_unknownWriteNeverSeen_linearizable() {
        assertThat(only(w(1, "a", 0, 10), unknownWrite(2, "b", 20, 30), r(3, "a", 40, 50), r(3, "a", 1_000, 1_010))
                .result()).isEqualTo(Result.LINEARIZABLE);
    }

    @Test
    void check_unknownWriteExplainsADeleteThatFoundAValue_linearizable() {
        assertThat(only(unknownWrite(1, "a", 0, 10), d(2, true, 20, 30)).result()).isEqualTo(Result.LINEARIZABLE);
    }

    @Test
    void check_unknownDeleteTakingEffectOrNot_linearizable() {
        Op unknownDelete = Op.unknown(2, KEY, Op.Kind.DELETE, 20, 30);

        assertThat(only(w(1, "a", 0, 10), unknownDelete, r(3, "a", 40, 50), r(3, null, 60, 70)).result())
                .isEqualTo(Result.LINEARIZABLE);
        assertThat(only(w(1, "a", 0, 10), unknownDelete, r(3, "a", 40, 50)).result())
                .isEqualTo(Result.LINEARIZABLE);
    }

    @Test
    void check_unknownRead_droppedAndCounted() {
        Verdict verdict = LinearizabilityChecker.check(
                List.of(w(1, "a", 0, 10), Op.unknown(2, KEY, Op.Kind.READ, 20, 30), unknownWrite(3, "b", 40, 50)),
                BUDGET);

        assertThat(verdict.linearizable()).isTrue();
        assertThat(verdict.counts()).isEqualTo(new Verdict.Counts(1, 3, 1, 2, 1));
        assertThat(verdict.keys().getFirst().ops()).isEqualTo(2);
    }

    @Test
    void check_keysAreIndependentRegisters_onlyTheBadKeyFails() {
        List<Op> ops = List.of(
                Op.write(1, "good", "a", 0, 10, Op.Outcome.OK), Op.read(2, "good", "a", 20, 30),
                Op.write(1, "bad", "b", 0, 10, Op.Outcome.OK), Op.read(2, "bad", "a", 20, 30));

        Verdict verdict = LinearizabilityChecker.check(ops, BUDGET);

        assertThat(verdict.linearizable()).isFalse();
        assertThat(verdict.keysWith(Result.NOT_LINEARIZABLE)).extracting(KeyVerdict::key).containsExactly("bad");
        assertThat(verdict.keysWith(Result.LINEARIZABLE)).extracting(KeyVerdict::key).containsExactly("good");
        assertThat(verdict.counts().keys()).isEqualTo(2);
    }

    @Test
    void check_randomHistoryOf2000OpsFrom8Clients_linearizable() {
        List<Op> history = RandomRegisterHistory.generate(KEY, 8, 2_000, 6, 42);

        KeyVerdict verdict = LinearizabilityChecker.check(history, BUDGET).keys().getFirst();

        assertThat(verdict.result()).isEqualTo(Result.LINEARIZABLE);
        assertThat(verdict.longestPartial()).isEqualTo(verdict.ops()).isEqualTo(2_000);
    }

    @Test
    void check_200KeysOf50OpsEach_allLinearizable() {
        List<Op> ops = new ArrayList<>();
        IntStream.range(0, 200).forEach(k -> ops.addAll(RandomRegisterHistory.generate("key-" + k, 4, 50, 1, k)));

        Verdict verdict = LinearizabilityChecker.check(ops, BUDGET);

        assertThat(verdict.linearizable()).as("%s", verdict).isTrue();
        assertThat(verdict.counts().keys()).isEqualTo(200);
        assertThat(verdict.counts().ops()).isEqualTo(10_000);
    }

    @Test
    void check_randomHistoryWithOneStaleRead_oneMinimalSubHistoryContainsThatRead() {
        RandomRegisterHistory.Stale stale = RandomRegisterHistory.withStaleRead(
                RandomRegisterHistory.generate(KEY, 8, 2_000, 6, 7));

        KeyVerdict verdict = LinearizabilityChecker.check(stale.history(), BUDGET).keys().getFirst();

        assertThat(verdict.result()).isEqualTo(Result.NOT_LINEARIZABLE);
        assertThat(verdict.minimal()).contains(stale.staleRead()).hasSizeLessThan(10);
        assertThat(verdict.longestPartial()).isLessThan(2_000);
        assertOneMinimal(verdict);
    }

    @Test
    void check_shrunkHandMadeHistory_oneMinimal() {
        List<Op> ops = List.of(w(1, "a", 0, 10), r(2, "a", 5, 15), w(3, "b", 20, 30), d(1, true, 40, 50),
                r(2, null, 60, 70), w(3, "c", 80, 90), r(1, "b", 100, 110), r(2, "c", 120, 130));

        KeyVerdict verdict = only(ops);

        assertThat(verdict.result()).isEqualTo(Result.NOT_LINEARIZABLE);
        assertThat(verdict.minimal()).contains(ops.get(6));
        assertOneMinimal(verdict);
    }

    @Test
    void check_smallRandomHistories_agreeWithBruteForceAndShrinkOneMinimal() {
        SplittableRandom random = new SplittableRandom(1);
        int[] verdicts = new int[2];
        for (int round = 0; round < 3_000; round++) {
            List<Op> ops = BruteForce.randomHistory(KEY, random);

            KeyVerdict verdict = only(ops);

            boolean expected = BruteForce.linearizable(ops);
            assertThat(verdict.result()).as("%s", ops)
                    .isEqualTo(expected ? Result.LINEARIZABLE : Result.NOT_LINEARIZABLE);
            verdicts[expected ? 1 : 0]++;
            if (!expected) {
                assertOneMinimal(verdict);
            }
        }
        assertThat(verdicts[0]).as("not linearizable").isGreaterThan(500);
        assertThat(verdicts[1]).as("linearizable").isGreaterThan(500);
    }

    @Test
    void check_stepBudgetExhausted_undecided() {
        KeyVerdict verdict = LinearizabilityChecker.check(manyConcurrentWrites(), BUDGET, 10_000).keys().getFirst();

        assertThat(verdict.result()).isEqualTo(Result.UNDECIDED);
        assertThat(verdict.steps()).isEqualTo(10_001);
        assertThat(verdict.minimal()).isEmpty();
    }

    @Test
    void check_timeBudgetExhausted_undecidedSoonAfter() {
        long start = System.nanoTime();

        Verdict verdict = LinearizabilityChecker.check(manyConcurrentWrites(), Duration.ofMillis(100));

        assertThat(verdict.keysWith(Result.UNDECIDED)).hasSize(1);
        assertThat(verdict.linearizable()).isFalse();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
    }

    @Test
    void check_budgetNotPositive_rejected() {
        assertThatThrownBy(() -> LinearizabilityChecker.check(List.of(), Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT0S");
        assertThatThrownBy(() -> LinearizabilityChecker.check(List.of(), BUDGET, 0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("0");
    }

    /**
     * Twenty writes at once and reads that pin the last one to v0, then v1, then v0 again: not
     * linearizable, but the search must first try every subset of the writes with every last one.
     */
    private static List<Op> manyConcurrentWrites() {
        List<Op> ops = new ArrayList<>();
        IntStream.range(0, 20).forEach(i -> ops.add(w(i, "v" + i, 0, 100)));
        ops.addAll(List.of(r(20, "v0", 200, 300), r(20, "v1", 400, 500), r(20, "v0", 600, 700)));
        return ops;
    }

    /** Not linearizable, and removing any one op (with what may have observed it) makes it so. */
    private static void assertOneMinimal(KeyVerdict verdict) {
        List<Op> minimal = verdict.minimal();
        assertThat(verdict.oneMinimal()).isTrue();
        assertThat(search(minimal)).isEqualTo(Result.NOT_LINEARIZABLE);
        for (int i = 0; i < minimal.size(); i++) {
            assertThat(search(Shrinker.without(minimal, i, i + 1))).as("without %s", minimal.get(i))
                    .isEqualTo(Result.LINEARIZABLE);
        }
    }

    private static Result search(List<Op> ops) {
        return LinearizabilityChecker.search(ops, Long.MAX_VALUE, Long.MAX_VALUE).result();
    }

    private static KeyVerdict only(Op... ops) {
        return only(List.of(ops));
    }

    private static KeyVerdict only(List<Op> ops) {
        return LinearizabilityChecker.check(ops, BUDGET).keys().getFirst();
    }

    private static List<Op> plus(List<Op> ops, Op... more) {
        List<Op> all = new ArrayList<>(ops);
        all.addAll(List.of(more));
        return all;
    }

    static Op w(int client, String value, long invoked, long completed) {
        return Op.write(client, KEY, value, invoked, completed, Op.Outcome.OK);
    }

    static Op unknownWrite(int client, String value, long invoked, long completed) {
        return Op.write(client, KEY, value, invoked, completed, Op.Outcome.UNKNOWN);
    }

    static Op r(int client, String value, long invoked, long completed) {
        return Op.read(client, KEY, value, invoked, completed);
    }

    static Op d(int client, boolean existed, long invoked, long completed) {
        return Op.delete(client, KEY, existed, invoked, completed);
    }
}
