package dev.dcache.bench;

import dev.dcache.common.hash.HashFunction;
import dev.dcache.common.ring.HashRing;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Cost of routing one key on the master's {@link HashRing}, with 3 and 10 aux nodes of 256 virtual
 * nodes each (768 and 2,560 points) and the production hash, {@link HashFunction#FNV1A_MIX}.
 *
 * <ul>
 *   <li>{@code hashOnly}: {@link HashRing#hashOf}, the UTF-8 encoding and hash of the key alone,
 *       the part of a lookup that does not depend on the ring's size;</li>
 *   <li>{@code primary}: {@link HashRing#primary}, hash plus one binary search;</li>
 *   <li>{@code owners2}: {@link HashRing#owners} for 2 owners, what a master does for every
 *       request at the default replication factor (it allocates the result list).</li>
 * </ul>
 * Keys are 64k distinct strings of about 20 characters; successive keys hash to unrelated points,
 * so each binary search walks a different path, as real traffic's would. One thread: the ring is
 * immutable and lookups share nothing, so more threads scale with cores.
 *
 * <pre>{@code
 *   bench/run.sh RingBenchmark
 *   java -jar bench/target/benchmarks.jar RingBenchmark -f 1 -wi 2 -w 2s -i 3 -r 3s
 * }</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Threads(1)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
public class RingBenchmark {
    static final int KEYS = 1 << 16;
    static final int MASK = KEYS - 1;
    static final int VNODES = 256;

    @Param({"3", "10"})
    public int nodes;

    HashRing ring;
    String[] keys;

    /** Where a benchmark thread is in the key array. */
    @State(Scope.Thread)
    public static class Cursor {
        int next = ThreadLocalRandom.current().nextInt();
    }

    @Setup(Level.Trial)
    public void setUp() {
        List<String> ids = new ArrayList<>();
        for (int i = 1; i <= nodes; i++) {
            ids.add("aux-" + i);
        }
        ring = new HashRing(ids, VNODES, HashFunction.FNV1A_MIX);
        keys = new String[KEYS];
        for (int i = 0; i < KEYS; i++) {
            keys[i] = String.format("user:%08d:profile", i * 7919);
        }
    }

    @Benchmark
    public long hashOnly(Cursor cursor) {
        return ring.hashOf(keys[cursor.next++ & MASK]);
    }

    @Benchmark
    public String primary(Cursor cursor) {
        return ring.primary(keys[cursor.next++ & MASK]);
    }

    @Benchmark
    public List<String> owners2(Cursor cursor) {
        return ring.owners(keys[cursor.next++ & MASK], 2);
    }
}
