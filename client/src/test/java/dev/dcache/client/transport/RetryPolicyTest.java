package dev.dcache.client.transport;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RetryPolicyTest {
    private final RetryPolicy policy = new RetryPolicy(100, Duration.ofMillis(50), Duration.ofSeconds(2), true);

    @Test
    void delay_growsFromTheBaseAndStaysInTheUpperHalfOfItsCeiling() {
        for (int retry = 1; retry <= 100; retry++) {
            long ceiling = Math.min(50L << Math.min(retry - 1, 20), 2000);
            for (double random : new double[]{0, 0.5, 0.999999}) {
                long ms = policy.delay(retry, null, random).toMillis();
                assertThat(ms).as("retry %d, random %s", retry, random).isBetween(ceiling / 2, ceiling);
            }
        }
    }

    @Test
    void delay_neverExceedsTheCapEvenAfterManyRetries() {
        assertThat(policy.delay(100, null, 0.999999)).isLessThanOrEqualTo(Duration.ofSeconds(2));
        RetryPolicy huge = new RetryPolicy(100, Duration.ofDays(1), Duration.ofDays(365), true);
        assertThat(huge.delay(100, null, 0.999999)).isLessThanOrEqualTo(Duration.ofDays(365)).isPositive();
    }

    @Test
    void delay_retryAfterIsHonouredUpToTheCap() {
        assertThat(policy.delay(1, Duration.ofSeconds(1), 0.3)).isEqualTo(Duration.ofSeconds(1));
        assertThat(policy.delay(1, Duration.ofSeconds(60), 0.3)).isEqualTo(Duration.ofSeconds(2));
        assertThat(policy.delay(1, Duration.ZERO, 0.3)).isEqualTo(Duration.ZERO);
    }

    @Test
    void new_outOfRangeValues_areRefusedByName() {
        assertThatThrownBy(() -> new RetryPolicy(-1, Duration.ZERO, Duration.ZERO, true)).hasMessageContaining("maxRetries");
        assertThatThrownBy(() -> new RetryPolicy(1, Duration.ofSeconds(2), Duration.ofSeconds(1), true))
                .hasMessageContaining("backoffCap");
        assertThatThrownBy(() -> new RetryPolicy(1, Duration.ofMillis(-1), Duration.ofSeconds(1), true))
                .hasMessageContaining("backoffBase");
    }
}
