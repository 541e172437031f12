package dev.dcache.aux.snapshot;

import dev.dcache.aux.cache.LruCache;
import dev.dcache.common.time.FakeClock;
import dev.dcache.common.wire.Entry;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class SnapshotterTest {
    private static final long TOMBSTONE_TTL = 60_000;

    @TempDir
    Path dir;

    private final FakeClock clock = new FakeClock();

    private LruCache cache(long maxEntries, int segments) {
        return new LruCache(maxEntries, 1L << 30, segments, TOMBSTONE_TTL, clock);
    }

    private Snapshotter snapshotter(LruCache cache) {
        return new Snapshotter(dir, cache, clock, SnapshotListener.NONE);
    }

    /** Snapshots {@code cache} into {@link #dir}; a new snapshotter has saved nothing yet, so it writes. */
    private void save(LruCache cache) {
        Snapshotter s = snapshotter(cache);
        assertThat(s.snapshotIfChanged().outcome()).isEqualTo(WriteResult.Outcome.WRITTEN);
    }

    private static List<Entry> records(LruCache cache) {
        List<Entry> out = new ArrayList<>();
        cache.forEach(out::add);
        return out;
    }

    @Nested
    class RoundTrip {
        @Test
        void restore_afterSnapshot_bringsBackValuesTombstonesVersionsAndExpiriesInOrder() {
            LruCache source = cache(1_000, 4);
            source.put(new Entry("plain", "v1", 10, 0));
            source.put(new Entry("ttl", "v2", 11, clock.millis() + 60_000));
            source.put(new Entry("gone", "v3", 12, 0));
            source.delete("gone", 13);
            source.put(new Entry("ключ 😀", "значение ✓", 14, 0));
            source.put(new Entry("empty-value", "", 15, 0));
            source.put(new Entry("", "empty key", 16, 0));
            source.put(new Entry("big", "x".repeat(200_000), 17, 0));
            save(source);

            LruCache target = cache(1_000, 4);
            RestoreResult r = snapshotter(target).restore();

            assertThat(r.outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
            assertThat(r.loaded()).isEqualTo(7);
            assertThat(r.held()).isEqualTo(7);
            assertThat(r.expired()).isZero();
            assertThat(r.problem()).isNull();
            assertThat(records(target)).containsExactlyElementsOf(records(source));
            Entry tombstone = target.peek("gone");
            assertThat(tombstone.isTombstone()).isTrue();
            assertThat(tombstone.version()).isEqualTo(13);
            assertThat(tombstone.expiresAt()).isEqualTo(clock.millis() + TOMBSTONE_TTL);
        }

        @Test
        void restore_tombstone_stillBlocksAnOlderWrite() {
            LruCache source = cache(100, 1);
            source.put(new Entry("k", "old", 1, 0));
            source.delete("k", 2);
            save(source);
            LruCache target = cache(100, 1);
            snapshotter(target).restore();

            assertThat(target.put(new Entry("k", "old", 1, 0)).applied()).isFalse();
            assertThat(target.get("k")).isNull();
        }

        @Test
        void restore_afterClockPassedSomeExpiries_dropsThoseAndKeepsTheOthersAbsoluteExpiry() {
            LruCache source = cache(100, 1);
            long t0 = clock.millis();
            source.put(new Entry("short", "s", 1, t0 + 10_000));
            source.put(new Entry("long", "l", 2, t0 + 100_000));
            source.put(new Entry("forever", "f", 3, 0));
            source.delete("deleted", 4); // tombstone expires at t0 + 60 s
            save(source);

            clock.advance(Duration.ofSeconds(30));
            LruCache target = cache(100, 1);
            RestoreResult r = snapshotter(target).restore();

            assertThat(r.loaded()).isEqualTo(3);
            assertThat(r.expired()).isEqualTo(1);
            assertThat(target.peek("short")).isNull();
            assertThat(target.peek("long").expiresAt()).isEqualTo(t0 + 100_000);
            assertThat(target.peek("forever").expiresAt()).isZero();
            assertThat(target.peek("deleted").isTombstone()).isTrue();

            clock.advance(Duration.ofSeconds(31)); // t0 + 61 s: the tombstone's own TTL is over
            assertThat(target.peek("deleted")).isNull();
            assertThat(target.get("long").value()).isEqualTo("l");
            clock.advance(Duration.ofSeconds(40)); // t0 + 101 s
            assertThat(target.get("long")).isNull();
        }

        @Test
        void restore_emptyCacheSnapshot_restoresNothing() throws IOException {
            SnapshotWriter.write(cache(100, 1), dir, clock.millis());
            LruCache target = cache(100, 1);

            RestoreResult r = snapshotter(target).restore();

            assertThat(r.outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
            assertThat(r.loaded()).isZero();
            assertThat(target.size()).isZero();
        }

        @Test
        void restore_noSnapshot_startsEmptyAndCreatesTheDirectory() {
            Path nested = dir.resolve("a/b");
            LruCache target = cache(100, 1);

            RestoreResult r = new Snapshotter(nested, target, clock, SnapshotListener.NONE).restore();

            assertThat(r.outcome()).isEqualTo(RestoreResult.Outcome.NO_SNAPSHOT);
            assertThat(nested).isDirectory();
            assertThat(target.size()).isZero();
        }
    }

    @Nested
    class Capacity {
        @Test
        void restore_intoSmallerCache_keepsTheMostRecentlyUsed() {
            LruCache source = cache(100, 1);
            for (int i = 0; i < 100; i++) {
                source.put(new Entry("k" + i, "v", i + 1, 0));
            }
            for (int i = 0; i < 10; i++) {
                source.get("k" + i); // now the 10 most recent
            }
            save(source);
            LruCache target = cache(20, 1);

            RestoreResult r = snapshotter(target).restore();

            Set<String> expected = new HashSet<>();
            for (int i = 0; i < 10; i++) {
                expected.add("k" + i);
                expected.add("k" + (90 + i));
            }
            assertThat(r.loaded()).isEqualTo(100);
            assertThat(r.held()).isEqualTo(20);
            assertThat(records(target)).extracting(Entry::key).containsExactlyInAnyOrderElementsOf(expected);
            // and in the same order: k90..k99 older than k0..k9
            assertThat(records(target).get(0).key()).isEqualTo("k90");
            assertThat(records(target).get(19).key()).isEqualTo("k9");
        }

        @Test
        void restore_intoSmallerSegmentedCache_keepsOnlyRecentWrites() {
            LruCache source = cache(1_600, 16);
            for (int i = 0; i < 1_600; i++) {
                source.put(new Entry("key-" + i, "v", i + 1, 0));
            }
            save(source);
            LruCache target = cache(160, 16);

            RestoreResult r = snapshotter(target).restore();

            assertThat(r.held()).isEqualTo(160);
            // each segment keeps its 10 newest of ~100, all far inside the newest quarter
            assertThat(records(target)).allSatisfy(e -> assertThat(e.version()).isGreaterThan(1_200));
        }
    }

    @Nested
    class Atomicity {
        @Test
        void restore_withLeftoverTmp_deletesItAndLoadsTheCommittedSnapshot() throws IOException {
            LruCache source = cache(100, 1);
            source.put(new Entry("k", "committed", 1, 0));
            save(source);
            Files.write(dir.resolve("snapshot.tmp"), new byte[]{(byte) 0x89, 'D', 'C', 'S', 1, 2, 3});
            LruCache target = cache(100, 1);

            RestoreResult r = snapshotter(target).restore();

            assertThat(r.outcome()).isEqualTo(RestoreResult.Outcome.RESTORED);
            assertThat(target.get("k").value()).isEqualTo("committed");
            assertThat(dir.resolve("snapshot.tmp")).doesNotExist();
        }

        @Test
        void snapshotIfChanged_writeFails_keepsPreviousSnapshotAndRetriesNextTime() throws IOException {
            LruCache cache = cache(100, 1);
            Recording events = new Recording();
            Snapshotter s = new Snapshotter(dir, cache, clock, events);
            s.restore();
            cache.put(new Entry("k", "first", 1, 0));
            s.snapshotIfChanged();
            byte[] committed = Files.readAllBytes(dir.resolve("snapshot.bin"));
            cache.put(new Entry("k", "second", 2, 0));
            Path blocker = Files.createDirectories(dir.resolve("snapshot.tmp").resolve("blocker"));

            WriteResult failed = s.snapshotIfChanged();

            assertThat(failed.outcome()).isEqualTo(WriteResult.Outcome.FAILED);
            assertThat(failed.problem()).contains("snapshot.tmp");
            assertThat(events.failures).isEqualTo(1);
            assertThat(dir.resolve("snapshot.bin")).hasBinaryContent(committed);

            Files.delete(blocker);
            Files.delete(dir.resolve("snapshot.tmp"));
            WriteResult retried = s.snapshotIfChanged(); // no new change, but the failed one is still unsaved

            assertThat(retried.outcome()).isEqualTo(WriteResult.Outcome.WRITTEN);
            LruCache target = cache(100, 1);
            snapshotter(target).restore();
            assertThat(target.get("k").value()).isEqualTo("second");
        }

        @Test
        void snapshotIfChanged_success_leavesNoTmpBehind() {
            LruCache cache = cache(100, 1);
            cache.put(new Entry("k", "v", 1, 0));
            save(cache);

            assertThat(dir.resolve("snapshot.tmp")).doesNotExist();
            assertThat(dir.resolve("snapshot.bin")).isRegularFile();
        }
    }

    @Nested
    class WhenToWrite {
        @Test
        void snapshotIfChanged_nothingChangedSinceLastWrite_writesNothing() throws IOException {
            LruCache cache = cache(100, 1);
            Snapshotter s = snapshotter(cache);
            s.restore();
            cache.put(new Entry("k", "v", 1, 0));
            assertThat(s.snapshotIfChanged().outcome()).isEqualTo(WriteResult.Outcome.WRITTEN);
            Files.delete(dir.resolve("snapshot.bin")); // so any write would show

            cache.get("k");
            cache.put(new Entry("k", "stale", 1, 0));
            WriteResult r = s.snapshotIfChanged();

            assertThat(r.outcome()).isEqualTo(WriteResult.Outcome.UNCHANGED);
            assertThat(dir.resolve("snapshot.bin")).doesNotExist();
        }

        @Test
        void snapshotIfChanged_rightAfterRestore_writesNothing() throws IOException {
            LruCache source = cache(100, 1);
            source.put(new Entry("k", "v", 1, 0));
            save(source);
            LruCache target = cache(100, 1);
            Snapshotter s = snapshotter(target);
            s.restore();
            Files.delete(dir.resolve("snapshot.bin"));

            assertThat(s.snapshotIfChanged().outcome()).isEqualTo(WriteResult.Outcome.UNCHANGED);
            assertThat(dir.resolve("snapshot.bin")).doesNotExist();
        }

        @Test
        void snapshotIfChanged_afterPutDeleteOrExpiry_writes() {
            LruCache cache = cache(100, 1);
            Snapshotter s = snapshotter(cache);
            s.restore();

            cache.put(new Entry("k", "v", 1, clock.millis() + 1_000));
            assertThat(s.snapshotIfChanged().outcome()).isEqualTo(WriteResult.Outcome.WRITTEN);
            cache.delete("j", 2);
            assertThat(s.snapshotIfChanged().outcome()).isEqualTo(WriteResult.Outcome.WRITTEN);
            clock.advance(Duration.ofSeconds(2));
            cache.sweep();
            assertThat(s.snapshotIfChanged().outcome()).isEqualTo(WriteResult.Outcome.WRITTEN);
            assertThat(s.snapshotIfChanged().outcome()).isEqualTo(WriteResult.Outcome.UNCHANGED);
        }

        @Test
        void snapshotIfChanged_reportsWritesAndUpToDateChecksToTheListener() throws IOException {
            LruCache cache = cache(100, 1);
            Recording events = new Recording();
            Snapshotter s = new Snapshotter(dir, cache, clock, events);
            s.restore();
            cache.put(new Entry("k", "v", 1, 0));
            clock.advance(Duration.ofSeconds(5));

            WriteResult r = s.snapshotIfChanged();
            long writtenAt = clock.millis();
            clock.advance(Duration.ofSeconds(10));
            s.snapshotIfChanged();

            assertThat(events.written).isEqualTo(1);
            assertThat(events.lastBytes).isEqualTo(r.bytes()).isEqualTo(Files.size(dir.resolve("snapshot.bin")));
            assertThat(events.lastWrittenAt).isEqualTo(writtenAt);
            assertThat(events.lastUpToDateAt).isEqualTo(writtenAt + 10_000);
            assertThat(events.restored.outcome()).isEqualTo(RestoreResult.Outcome.NO_SNAPSHOT);
        }

        @Test
        @Timeout(30)
        void start_writesOnTheWriterThread_onlyAfterAChange() throws InterruptedException {
            LruCache cache = cache(100, 1);
            Recording events = new Recording();
            Snapshotter s = new Snapshotter(dir, cache, clock, events);
            s.restore();
            events.log.clear();
            try {
                s.start(Duration.ofMillis(1));
                assertThat(events.next()).isEqualTo("upToDate@snapshot-writer");
                assertThat(dir.resolve("snapshot.bin")).doesNotExist();

                cache.put(new Entry("k", "v", 1, 0));
                String event;
                do {
                    event = events.next();
                } while (event.startsWith("upToDate")); // ticks that ran before the put
                assertThat(event).isEqualTo("written@snapshot-writer");
                assertThat(events.next()).isEqualTo("upToDate@snapshot-writer"); // and not written again
            } finally {
                s.close();
            }
            assertThat(dir.resolve("snapshot.bin")).isRegularFile();
        }

        @Test
        void start_zeroInterval_startsNoWriter_butCloseStillSaves() {
            LruCache cache = cache(100, 1);
            Snapshotter s = snapshotter(cache);
            s.restore();

            s.start(Duration.ZERO);
            cache.put(new Entry("k", "v", 1, 0));
            s.close();

            LruCache target = cache(100, 1);
            snapshotter(target).restore();
            assertThat(target.get("k").value()).isEqualTo("v");
        }
    }

    @Nested
    class Close {
        @Test
        void close_withChanges_writesAFinalSnapshot_andNothingAfterIt() throws IOException {
            LruCache cache = cache(100, 1);
            Snapshotter s = snapshotter(cache);
            s.restore();
            s.start(Duration.ofHours(1));
            cache.put(new Entry("k", "v", 1, 0));

            s.close();
            byte[] saved = Files.readAllBytes(dir.resolve("snapshot.bin"));
            cache.put(new Entry("k", "later", 2, 0));

            assertThat(s.snapshotIfChanged().outcome()).isEqualTo(WriteResult.Outcome.CLOSED);
            s.close();
            assertThat(dir.resolve("snapshot.bin")).hasBinaryContent(saved);
        }
    }

    /** A listener that remembers what it was told, and queues it with the reporting thread. */
    private static final class Recording implements SnapshotListener {
        final BlockingQueue<String> log = new LinkedBlockingQueue<>();
        volatile RestoreResult restored;
        volatile int written;
        volatile int failures;
        volatile long lastBytes = -1;
        volatile long lastWrittenAt;
        volatile long lastUpToDateAt;

        @Override
        public void restored(RestoreResult result) {
            restored = result;
        }

        @Override
        public void written(long nanos, long bytes, long atMillis) {
            written++;
            lastBytes = bytes;
            lastWrittenAt = atMillis;
            log.add("written@" + Thread.currentThread().getName());
        }

        @Override
        public void failed(long nanos) {
            failures++;
            log.add("failed@" + Thread.currentThread().getName());
        }

        @Override
        public void upToDate(long atMillis) {
            lastUpToDateAt = atMillis;
            log.add("upToDate@" + Thread.currentThread().getName());
        }

        String next() throws InterruptedException {
            String e = log.poll(10, TimeUnit.SECONDS);
            assertThat(e).as("no snapshot event within 10 s").isNotNull();
            return e;
        }
    }
}
