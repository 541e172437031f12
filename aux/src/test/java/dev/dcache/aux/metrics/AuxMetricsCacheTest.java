package dev.dcache.aux.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.dcache.aux.cache.LruCache;
import dev.dcache.common.time.FakeClock;
import dev.dcache.common.wire.Entry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

/** The cache meters {@link AuxMetrics#bind} declares, read from the cache through its readings. */
class AuxMetricsCacheTest {
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final LruCache cache = new LruCache(2, 1 << 20, 1, 60_000, new FakeClock());

    private double count(String name) {
        return registry.get(name).functionCounter().count();
    }

    private double gauge(String name) {
        return registry.get(name).gauge().value();
    }

    @Test
    void theMetersFollowTheCache() {
        AuxMetrics.bind(registry, cache);

        cache.put(new Entry("a", "1", 5, 0));
        cache.put(new Entry("a", "old", 4, 0)); // stale
        cache.get("a");
        cache.get("missing");
        cache.delete("a", 6);
        cache.put(new Entry("b", "2", 1, 0));
        cache.put(new Entry("c", "3", 1, 0)); // a third record: one is evicted

        assertThat(count("dcache.cache.puts")).isEqualTo(3);
        assertThat(count("dcache.cache.stale.writes")).isEqualTo(1);
        assertThat(count("dcache.cache.hits")).isEqualTo(1);
        assertThat(count("dcache.cache.misses")).isEqualTo(1);
        assertThat(count("dcache.cache.deletes")).isEqualTo(1);
        assertThat(count("dcache.cache.evictions")).isEqualTo(1);
        assertThat(gauge("dcache.cache.entries")).isEqualTo(2);
        assertThat(gauge("dcache.cache.max.entries")).isEqualTo(2);
        assertThat(gauge("dcache.cache.max.bytes")).isEqualTo(1 << 20);
        assertThat(gauge("dcache.cache.bytes")).isEqualTo(cache.bytes());
    }
}
