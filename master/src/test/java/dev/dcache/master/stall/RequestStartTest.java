package dev.dcache.master.stall;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RequestStartTest {
    private static final long NOW = 1_765_000_010_500L;

    @Test
    void millis_nginxMsec_isTheAge() {
        assertThat(RequestStart.millis("t=1765000000.123", NOW)).isEqualTo(10_377);
        assertThat(RequestStart.millis("t=1765000010.5", NOW)).isZero();
        assertThat(RequestStart.millis("t=1765000010", NOW)).isEqualTo(500);
    }

    @Test
    void millis_absentOrMalformed_isMinusOne() {
        assertThat(RequestStart.millis(null, NOW)).isEqualTo(-1);
        assertThat(RequestStart.millis("1765000000.123", NOW)).isEqualTo(-1);
        assertThat(RequestStart.millis("t=abc", NOW)).isEqualTo(-1);
        assertThat(RequestStart.millis("t=-5.000", NOW)).isEqualTo(-1);
        assertThat(RequestStart.millis("t=" + "9".repeat(40), NOW)).isEqualTo(-1);
    }

    @Test
    void millis_clockOfTheProxyAhead_isNeverOld() {
        assertThat(RequestStart.millis("t=1765000020.000", NOW)).isLessThanOrEqualTo(0);
    }
}
