package dev.dcache.system.history;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class OpTest {
    @Test
    void new_completedBeforeInvoked_rejectedNamingBoth() {
        assertThatThrownBy(() -> Op.read(1, "k", "v", 20, 10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("10").hasMessageContaining("20");
    }

    @Test
    void write_withoutValue_rejected() {
        assertThatThrownBy(() -> Op.write(1, "k", null, 0, 1, Op.Outcome.OK))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs a value");
    }

    @Test
    void new_resultOnUnknownOrWrongKind_rejected() {
        assertThatThrownBy(() -> new Op(1, "k", Op.Kind.READ, "v", false, 0, 1, Op.Outcome.UNKNOWN))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cannot carry value v");
        assertThatThrownBy(() -> new Op(1, "k", Op.Kind.WRITE, "v", true, 0, 1, Op.Outcome.OK))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("existed");
    }

    @Test
    void unknown_write_rejectedForWantOfItsValue() {
        assertThatThrownBy(() -> Op.unknown(1, "k", Op.Kind.WRITE, 0, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Op.write");
    }
}
