package dev.dcache.common.concurrent;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CarriersTest {
    private String saved;

    @BeforeEach
    void save() {
        saved = System.getProperty(Carriers.PARALLELISM);
        System.clearProperty(Carriers.PARALLELISM);
    }

    @AfterEach
    void restore() {
        if (saved == null) {
            System.clearProperty(Carriers.PARALLELISM);
        } else {
            System.setProperty(Carriers.PARALLELISM, saved);
        }
    }

    @Test
    void widen_unset_fourCarriersPerCoreBetween4And64() {
        Carriers.widen();

        int expected = Math.clamp(4L * Runtime.getRuntime().availableProcessors(), 4, 64);
        assertThat(System.getProperty(Carriers.PARALLELISM)).isEqualTo(Integer.toString(expected));
    }

    @Test
    void widen_givenOnTheCommandLine_isLeftAlone() {
        System.setProperty(Carriers.PARALLELISM, "3");

        Carriers.widen();

        assertThat(System.getProperty(Carriers.PARALLELISM)).isEqualTo("3");
    }
}
