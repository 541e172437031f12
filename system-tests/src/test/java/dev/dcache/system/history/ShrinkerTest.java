package dev.dcache.system.history;

import static dev.dcache.system.history.LinearizabilityCheckerTest.d;
import static dev.dcache.system.history.LinearizabilityCheckerTest.r;
import static dev.dcache.system.history.LinearizabilityCheckerTest.unknownWrite;
import static dev.dcache.system.history.LinearizabilityCheckerTest.w;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ShrinkerTest {
    @Test
    void without_read_removesOnlyIt() {
        List<Op> ops = List.of(w(1, "a", 0, 10), r(2, "a", 20, 30), r(3, "a", 40, 50));

        assertThat(Shrinker.without(ops, 1, 2)).containsExactly(ops.get(0), ops.get(2));
    }

    @Test
    void without_write_alsoRemovesReadsOfItsValueButNotOthers() {
        List<Op> ops = List.of(r(3, null, 0, 5), w(1, "a", 10, 20), r(2, "a", 30, 40), w(1, "b", 50, 60),
                r(2, "b", 70, 80));

        assertThat(Shrinker.without(ops, 1, 2)).containsExactly(ops.get(0), ops.get(3), ops.get(4));
    }

    @Test
    void without_write_alsoRemovesDeletesThatFoundAValueAndWhatSawTheirAbsence() {
        List<Op> ops = List.of(w(1, "a", 0, 10), d(2, true, 20, 30), r(3, null, 40, 50), d(3, false, 60, 70));

        assertThat(Shrinker.without(ops, 0, 1)).isEmpty();
    }

    @Test
    void without_delete_keepsWhatCompletedBeforeItWasInvoked() {
        List<Op> ops = List.of(r(3, null, 0, 5), w(1, "a", 10, 20), d(2, true, 30, 40), r(3, null, 35, 50));

        assertThat(Shrinker.without(ops, 2, 3)).containsExactly(ops.get(0), ops.get(1));
    }

    @Test
    void without_unknownWrite_alsoRemovesReadsOfItsValueEvenAfterItsClientGaveUp() {
        List<Op> ops = List.of(unknownWrite(1, "a", 0, 10), r(2, "a", 100, 110), r(2, null, 120, 130));

        assertThat(Shrinker.without(ops, 0, 1)).containsExactly(ops.get(2));
    }

    @Test
    void without_anyOpOfALinearizableHistory_staysLinearizable() {
        SplittableRandom random = new SplittableRandom(2);
        int checked = 0;
        for (int round = 0; round < 3_000; round++) {
            List<Op> ops = BruteForce.randomHistory("k", random);
            if (!BruteForce.linearizable(ops)) {
                continue;
            }
            for (int i = 0; i < ops.size(); i++) {
                assertThat(BruteForce.linearizable(Shrinker.without(ops, i, i + 1)))
                        .as("%s without %d", ops, i).isTrue();
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(2_000);
    }

    @Test
    void shrink_staleReadAmongNoise_keepsTheTwoWritesAndTheRead() {
        List<Op> ops = List.of(w(1, "a", 0, 10), r(2, "a", 15, 25), w(1, "b", 30, 40), r(3, "b", 45, 55),
                r(2, "a", 60, 70), w(3, "c", 75, 85), r(1, "c", 90, 100));

        Shrinker.Shrunk shrunk = Shrinker.shrink(ops, Long.MAX_VALUE, Long.MAX_VALUE);

        assertThat(shrunk.ops()).containsExactly(ops.get(0), ops.get(2), ops.get(4));
        assertThat(shrunk.oneMinimal()).isTrue();
    }
}
