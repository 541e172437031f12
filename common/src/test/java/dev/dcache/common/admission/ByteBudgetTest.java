package dev.dcache.common.admission;

import dev.dcache.common.error.ApiException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ByteBudgetTest {
    private static final long MIB = 1 << 20;

    @Test
    void reserve_withinCapacity_holdsBytesUntilClosed() {
        ByteBudget budget = new ByteBudget(4 * MIB, Duration.ZERO);

        ByteBudget.Lease lease = budget.reserve(3 * MIB);

        assertThat(budget.inUse()).isEqualTo(3 * MIB);
        assertThat(lease.bytes()).isEqualTo(3 * MIB);
        lease.close();
        assertThat(budget.inUse()).isZero();
    }

    @Test
    void reserve_partOfAKibibyte_holdsAWholeOne() {
        ByteBudget budget = new ByteBudget(MIB, Duration.ZERO);

        try (ByteBudget.Lease lease = budget.reserve(1)) {
            assertThat(lease.bytes()).isEqualTo(1024);
        }
        assertThat(budget.reserve(0).bytes()).isZero();
    }

    @Test
    void reserve_moreThanCapacity_is413AndCounted() {
        ByteBudget budget = new ByteBudget(4 * MIB, Duration.ZERO);

        assertThatThrownBy(() -> budget.reserve(4 * MIB + 1))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(413));
        assertThat(budget.refusedTooLarge()).isEqualTo(1);
        assertThat(budget.inUse()).isZero();
    }

    @Test
    void grow_pastTheCapacityWithWhatTheLeaseHolds_is413AtOnce_notAWaitThen503() {
        ByteBudget budget = new ByteBudget(4 * MIB, Duration.ofSeconds(30));
        try (ByteBudget.Lease lease = budget.reserve(3 * MIB)) {
            long start = System.nanoTime();
            assertThatThrownBy(() -> lease.grow(2 * MIB))
                    .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(413));
            assertThat(System.nanoTime() - start).as("no wait").isLessThan(TimeUnit.SECONDS.toNanos(5));
            assertThat(lease.bytes()).isEqualTo(3 * MIB);
        }
        assertThat(budget.inUse()).isZero();
    }

    @Test
    void reserve_budgetFullForTheWholeWait_is503WithRetryAfter() {
        ByteBudget budget = new ByteBudget(4 * MIB, Duration.ZERO);
        ByteBudget.Lease held = budget.reserve(3 * MIB);

        assertThatThrownBy(() -> budget.reserve(2 * MIB)).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(503);
            assertThat(e.headers()).containsEntry("Retry-After", "1");
        });
        assertThat(budget.refusedBusy()).isEqualTo(1);
        assertThat(budget.inUse()).isEqualTo(3 * MIB);
        held.close();
    }

    @Test
    void reserve_bytesGivenBackWhileWaiting_isGranted() throws Exception {
        ByteBudget budget = new ByteBudget(4 * MIB, Duration.ofSeconds(30));
        ByteBudget.Lease held = budget.reserve(3 * MIB);

        CompletableFuture<ByteBudget.Lease> waiting = CompletableFuture.supplyAsync(() -> budget.reserve(2 * MIB));
        while (budget.waited() == 0) {
            Thread.onSpinWait(); // until the second reservation is waiting
        }
        held.close();

        ByteBudget.Lease granted = waiting.get(30, TimeUnit.SECONDS);
        assertThat(granted.bytes()).isEqualTo(2 * MIB);
        assertThat(budget.refusedBusy()).isZero();
    }

    @Test
    void tryReserve_budgetFull_returnsNullAndCountsNothing() {
        ByteBudget budget = new ByteBudget(4 * MIB, Duration.ofSeconds(30));
        ByteBudget.Lease held = budget.reserve(4 * MIB);

        assertThat(budget.tryReserve(1)).isNull();
        assertThat(budget.refusedBusy()).isZero();
        held.close();
        assertThat(budget.tryReserve(1)).isNotNull();
    }

    @Test
    void grow_leaseOfSeveralParts_givesAllBackOnceOnClose() {
        ByteBudget budget = new ByteBudget(4 * MIB, Duration.ZERO);
        ByteBudget.Lease lease = budget.empty();

        lease.grow(MIB);
        assertThat(lease.tryGrow(MIB)).isTrue();
        lease.close();
        lease.close();

        assertThat(budget.inUse()).isZero();
        assertThat(budget.reserve(4 * MIB).bytes()).isEqualTo(4 * MIB); // nothing given back twice
    }

    @Test
    void grow_afterClose_isRefusedAndHoldsNothing() {
        ByteBudget budget = new ByteBudget(4 * MIB, Duration.ZERO);
        ByteBudget.Lease lease = budget.empty();
        lease.close();

        assertThatThrownBy(() -> lease.grow(MIB)).isInstanceOf(ApiException.class);
        assertThat(budget.inUse()).isZero();
    }

    @Test
    void derivedCapacity_heapAfterReserve_dividedByBytesPerBodyByte() {
        assertThat(ByteBudget.derivedCapacity(256 * MIB, 64 * MIB, 4)).isEqualTo(48 * MIB);
        assertThat(ByteBudget.derivedCapacity(64 * MIB, 64 * MIB, 4)).isEqualTo(MIB); // never below 1 MiB
    }

    @Test
    void constructor_capacityBelowOneKibibyte_isRefused() {
        assertThatThrownBy(() -> new ByteBudget(1000, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    }
}
