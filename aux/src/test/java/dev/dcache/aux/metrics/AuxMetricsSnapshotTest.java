package dev.dcache.aux.metrics;

import dev.dcache.aux.snapshot.RestoreResult;
import dev.dcache.aux.snapshot.SnapshotListener;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The snapshot meters {@link AuxMetrics#snapshots} declares, fed through its listener. */
class AuxMetricsSnapshotTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final SnapshotListener meters = SnapshotListener.feeding(AuxMetrics.snapshots(registry));

    private double gauge(String name) {
        return registry.get(name).gauge().value();
    }

    private double count(String name) {
        return registry.get(name).counter().count();
    }

    @Test
    void snapshots_beforeAnything_areAllZero() {
        assertThat(gauge("dcache.snapshot.last.success.time")).isZero();
        assertThat(gauge("dcache.snapshot.size")).isZero();
        assertThat(gauge("dcache.snapshot.restored.entries")).isZero();
        assertThat(count("dcache.snapshot.writes")).isZero();
        assertThat(count("dcache.snapshot.failures")).isZero();
        assertThat(registry.get("dcache.snapshot.duration").timer().count()).isZero();
    }

    @Test
    void written_recordsDurationSizeCountAndTimeInSeconds() {
        meters.written(250_000_000, 4096, 1_767_225_600_500L);

        assertThat(registry.get("dcache.snapshot.duration").timer().totalTime(TimeUnit.MILLISECONDS)).isEqualTo(250);
        assertThat(count("dcache.snapshot.writes")).isEqualTo(1);
        assertThat(gauge("dcache.snapshot.size")).isEqualTo(4096);
        assertThat(gauge("dcache.snapshot.last.success.time")).isEqualTo(1_767_225_600.5);
        assertThat(registry.get("dcache.snapshot.last.success.time").gauge().getId().getBaseUnit()).isEqualTo("seconds");
    }

    @Test
    void failed_countsAFailure_andLeavesTheLastSuccessAlone() {
        meters.written(1, 10, 1_000_000);

        meters.failed(5);

        assertThat(count("dcache.snapshot.failures")).isEqualTo(1);
        assertThat(gauge("dcache.snapshot.last.success.time")).isEqualTo(1_000);
    }

    @Test
    void upToDate_advancesTheLastSuccessTime() {
        meters.written(1, 10, 1_000_000);

        meters.upToDate(1_010_000);

        assertThat(gauge("dcache.snapshot.last.success.time")).isEqualTo(1_010);
        assertThat(count("dcache.snapshot.writes")).isEqualTo(1);
    }

    @Test
    void restored_setsEntriesAndSize_andCountsADiscard() {
        meters.restored(new RestoreResult(RestoreResult.Outcome.RESTORED, Path.of("snapshot.bin"), 12, 3, 0, 10,
                2048, Duration.ofMillis(5), null, null));
        assertThat(gauge("dcache.snapshot.restored.entries")).isEqualTo(10);
        assertThat(gauge("dcache.snapshot.size")).isEqualTo(2048);

        meters.restored(new RestoreResult(RestoreResult.Outcome.DISCARDED, Path.of("snapshot.bin"), 0, 0, 0, 0,
                7, Duration.ofMillis(1), "empty file", null));
        assertThat(count("dcache.snapshot.discarded")).isEqualTo(1);
        assertThat(gauge("dcache.snapshot.restored.entries")).isZero();
    }
}
