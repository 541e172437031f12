package dev.dcache.master.backup;

import dev.dcache.master.metrics.MasterMetrics;
import dev.dcache.common.client.AuxCallException;
import dev.dcache.common.client.AuxClient;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.common.wire.Entry;
import dev.dcache.master.ring.ClusterView;
import dev.dcache.master.membership.Membership;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Restores the backup into the current ring when a master starts and finds every aux node empty
 * (the whole cluster respawned on lost volumes).
 *
 * <p>Only one master restores: the first to create {@code restore.lock} on the shared volume (a
 * lock older than {@link #STALE_LOCK} is taken over, in case its owner died). Records are put
 * through the ordinary versioned batch API, so a restore never overwrites a newer value and a
 * backed-up tombstone keeps its key deleted; expired records are skipped and the rest keep their
 * absolute expiry, so TTLs count down from where they were. Progress is logged every 10,000
 * records.
 *
 * <p>What a restore can bring back is what the backup holds: records that rebalancing moved.
 * A key written and deleted without ever moving is in no backup.
 */
public final class Restorer implements MasterMetrics.RestoreReadings {
    private static final Logger log = LoggerFactory.getLogger(Restorer.class);
    static final Duration STALE_LOCK = Duration.ofMinutes(10);
    private static final int BATCH = 1000;

    private final Path dir;
    private final Membership membership;
    private final AuxClient client;
    private final InstantSource clock;
    private final LongSupplier nanos;
    private final int replicationFactor;
    private final AtomicLong runs = new AtomicLong();
    private final AtomicLong restored = new AtomicLong();

    /**
     * @param clock wall clock, for expiry and the lock's age
     * @param nanos monotonic clock in nanoseconds, for how long a restore took
     */
    public Restorer(Path dir, Membership membership, AuxClient client, InstantSource clock, LongSupplier nanos,
                    int replicationFactor) {
        this.dir = dir;
        this.membership = membership;
        this.client = client;
        this.clock = clock;
        this.nanos = nanos;
        this.replicationFactor = replicationFactor;
    }

    /**
     * Restores when every up aux node reported no records and the backup holds some.
     *
     * @return records restored (0 when there was nothing to do or another master did it)
     */
    public long restoreIfClusterEmpty() throws IOException {
        ClusterView view = membership.view();
        Map<String, Long> entries = membership.entries();
        List<String> up = view.ring().nodes();
        if (up.isEmpty() || up.stream().anyMatch(id -> entries.getOrDefault(id, 1L) != 0) || !BackupLog.hasData(dir)) {
            return 0;
        }
        Path lock = dir.resolve("restore.lock");
        if (!acquire(lock)) {
            log.info("restore: another master holds {}; not restoring here", lock);
            return 0;
        }
        try {
            return restore(view);
        } finally {
            Files.deleteIfExists(lock);
        }
    }

    private boolean acquire(Path lock) throws IOException {
        try {
            Files.createFile(lock);
            return true;
        } catch (FileAlreadyExistsException e) {
            FileTime t = Files.getLastModifiedTime(lock);
            if (clock.millis() - t.toMillis() > STALE_LOCK.toMillis()) {
                log.warn("restore: taking over stale lock {} from {}", lock, t);
                Files.deleteIfExists(lock);
                return acquire(lock);
            }
            return false;
        }
    }

    private long restore(ClusterView view) throws IOException {
        long start = nanos.getAsLong();
        runs.incrementAndGet();
        Map<String, Entry> all = BackupLog.readAll(dir);
        long now = clock.millis();
        log.info("restore: every aux node is empty; restoring {} backed-up records into ring {}", all.size(),
                view.ring().fingerprint());
        Map<NodeAddress, List<Entry>> perNode = new LinkedHashMap<>();
        long done = 0;
        long skipped = 0;
        for (Entry e : all.values()) {
            if (e.isExpiredAt(now)) {
                skipped++;
                continue;
            }
            for (NodeAddress node : view.owners(e.key(), replicationFactor)) {
                List<Entry> batch = perNode.computeIfAbsent(node, n -> new ArrayList<>(BATCH));
                batch.add(e);
                if (batch.size() == BATCH) {
                    send(node, batch);
                    batch.clear();
                }
            }
            if (++done % 10_000 == 0) {
                log.info("restore: {} of {} records", done, all.size());
            }
        }
        for (Map.Entry<NodeAddress, List<Entry>> rest : perNode.entrySet()) {
            if (!rest.getValue().isEmpty()) {
                send(rest.getKey(), rest.getValue());
            }
        }
        restored.addAndGet(done);
        log.info("restore: done, {} records restored, {} expired skipped, {} ms", done, skipped,
                (nanos.getAsLong() - start) / 1_000_000);
        return done;
    }

    private void send(NodeAddress node, List<Entry> batch) {
        try {
            client.putBatch(node, batch);
        } catch (AuxCallException e) {
            log.error("restore: {} records for {} not written: {}", batch.size(), node.id(), e.getMessage());
        }
    }

    /** Restores run, for metrics. */
    @Override
    public long runs() {
        return runs.get();
    }

    /** Records restored, for metrics. */
    @Override
    public long restored() {
        return restored.get();
    }
}
