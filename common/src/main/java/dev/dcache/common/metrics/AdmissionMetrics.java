package dev.dcache.common.metrics;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.List;

/**
 * The admission meters both node kinds export (read from {@code admission.Admission}): bytes of bodies in flight
 * against the budget, requests in flight, requests that waited for bytes, and requests shed by
 * reason. {@code dcache_admission_shed_total} growing for minutes means the node is too small for
 * its load (alert {@code DcacheSheddingPersists}).
 */
public final class AdmissionMetrics {
    /** The tag values of {@code dcache.admission.shed}: every reason a request is refused before it is served. */
    public static final List<String> SHED_REASONS = List.of("requests", "bytes", "too_large", "stale");

    /** What the admission meters read. */
    public interface Readings {
        /** Bytes of bodies reserved by requests in flight. */
        long bytesInUse();

        /** Bytes of bodies admitted at once. */
        long bytesCapacity();

        /** Requests being served. */
        int inFlight();

        /** Requests that waited for bytes. */
        long bytesWaited();

        /** Requests refused so far for a reason, one of {@link #SHED_REASONS}. */
        long refused(String reason);
    }

    private AdmissionMetrics() {
    }

    public static void bind(MeterRegistry registry, Readings admission) {
        Gauge.builder("dcache.admission.inflight.bytes", admission, Readings::bytesInUse).baseUnit("bytes")
                .description("Bytes of request and response bodies reserved by requests in flight").register(registry);
        Gauge.builder("dcache.admission.capacity.bytes", admission, Readings::bytesCapacity).baseUnit("bytes")
                .description("Bytes of bodies this node admits at once (MASTER_/AUX_MAX_INFLIGHT_BYTES)")
                .register(registry);
        Gauge.builder("dcache.admission.inflight.requests", admission, Readings::inFlight)
                .description("Requests being served (MASTER_/AUX_MAX_INFLIGHT bounds them)").register(registry);
        FunctionCounter.builder("dcache.admission.waits", admission, Readings::bytesWaited)
                .description("Requests that waited for bytes of the budget to be given back (admitted or shed after)")
                .register(registry);
        for (String reason : SHED_REASONS) {
            FunctionCounter.builder("dcache.admission.shed", admission, a -> a.refused(reason))
                    .description("Requests refused before they were served: requests (every slot taken, 503), bytes"
                            + " (the byte budget stayed full for the whole wait, 503), too_large (more than the"
                            + " node admits at once, 413), stale (a write that reached the master after the proxy"
                            + " gave up on it, 503)")
                    .tag("reason", reason)
                    .register(registry);
        }
    }
}
