package dev.dcache.common.metrics;

import dev.dcache.common.admission.Admission;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Locale;

/**
 * The admission meters both node kinds export (see {@link Admission}): bytes of bodies in flight
 * against the budget, requests in flight, requests that waited for bytes, and requests shed by
 * reason. {@code dcache_admission_shed_total} growing for minutes means the node is too small for
 * its load (alert {@code DcacheSheddingPersists}).
 */
public final class AdmissionMetrics {
    private AdmissionMetrics() {
    }

    public static void bind(MeterRegistry registry, Admission admission) {
        Gauge.builder("dcache.admission.inflight.bytes", admission, a -> a.bytes().inUse()).baseUnit("bytes")
                .description("Bytes of request and response bodies reserved by requests in flight").register(registry);
        Gauge.builder("dcache.admission.capacity.bytes", admission, a -> a.bytes().capacity()).baseUnit("bytes")
                .description("Bytes of bodies this node admits at once (MASTER_/AUX_MAX_INFLIGHT_BYTES)")
                .register(registry);
        Gauge.builder("dcache.admission.inflight.requests", admission, Admission::inFlight)
                .description("Requests being served (MASTER_/AUX_MAX_INFLIGHT bounds them)").register(registry);
        FunctionCounter.builder("dcache.admission.waits", admission, a -> a.bytes().waited())
                .description("Requests that waited for bytes of the budget to be given back (admitted or shed after)")
                .register(registry);
        for (Admission.Reason reason : Admission.Reason.values()) {
            FunctionCounter.builder("dcache.admission.shed", admission, a -> a.refused(reason))
                    .description("Requests refused before they were served: requests (every slot taken, 503), bytes"
                            + " (the byte budget stayed full for the whole wait, 503), too_large (more than the"
                            + " node admits at once, 413), stale (a write that reached the master after the proxy"
                            + " gave up on it, 503)")
                    .tag("reason", reason.name().toLowerCase(Locale.ROOT))
                    .register(registry);
        }
    }
}
