package dev.dcache.common.admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.dcache.common.error.ApiException;
import dev.dcache.common.metrics.AdmissionMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Arrays;
import java.util.Locale;
import org.junit.jupiter.api.Test;

class AdmissionTest {
    @Test
    void everyReasonIsAMeteredTag() {
        assertThat(AdmissionMetrics.SHED_REASONS).containsExactlyInAnyOrderElementsOf(
                Arrays.stream(Admission.Reason.values()).map(r -> r.name().toLowerCase(Locale.ROOT)).toList());
    }

    @Test
    void theMetersReadTheRefusals() {
        Admission admission = new Admission(1, new ByteBudget(1024, java.time.Duration.ZERO));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AdmissionMetrics.bind(registry, admission);

        assertThat(admission.tryEnter()).isTrue();
        assertThat(admission.tryEnter()).isFalse();
        ApiException busy = admission.refuseRequest();
        admission.refuseStale(5);
        admission.refuseStale(7);
        assertThatThrownBy(() -> admission.bytes().reserve(4096)).isInstanceOf(ApiException.class);

        assertThat(busy.status()).isEqualTo(503);
        assertThat(registry.get("dcache.admission.inflight.requests").gauge().value()).isEqualTo(1.0);
        assertThat(registry.get("dcache.admission.capacity.bytes").gauge().value()).isEqualTo(1024.0);
        assertThat(registry.get("dcache.admission.shed").tag("reason", "requests").functionCounter().count())
                .isEqualTo(1.0);
        assertThat(registry.get("dcache.admission.shed").tag("reason", "stale").functionCounter().count())
                .isEqualTo(2.0);
        assertThat(registry.get("dcache.admission.shed").tag("reason", "too_large").functionCounter().count())
                .isEqualTo(1.0);
        admission.leave();
        assertThat(registry.get("dcache.admission.inflight.requests").gauge().value()).isEqualTo(0.0);
    }
}
