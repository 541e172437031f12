package dev.dcache.system;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dcache.system.history.History;
import dev.dcache.system.history.Op;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAccumulator;

/**
 * Concurrent clients of the public API (through nginx) that record every operation in a
 * {@link History} for the linearizability checker: invocation and completion times, what was
 * asked, what came back, and whether the outcome is known.
 *
 * <p>Two kinds of clients run at once. <b>Shared-key</b> clients write, read and delete a few
 * keys that every one of them uses, so most operations on a key overlap with others (several
 * writers per key). <b>Single-writer</b> clients each own one key: they write it and read it
 * back at once, over and over, which is the pattern of the bug the checker first caught (a read
 * after an acknowledged write, through the other master, that returns the previous value).
 * Every written value is unique ({@code c<client>-<n>}). An answer of 5xx, a timeout or a
 * connection error leaves the operation UNKNOWN (it may or may not have taken effect); any 4xx
 * other than a read's or delete's 404 is a bug and fails the test.
 *
 * <p>Bounded: every request has a timeout, {@link #stop} waits for the threads at most that long.
 */
final class HistoryLoad {
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
    /** Counts reads, to make every other one a raw read. */
    private final java.util.concurrent.atomic.AtomicLong rawReads = new java.util.concurrent.atomic.AtomicLong();

    /**
     * @param sharedClients clients on the shared keys
     * @param sharedKeys    how many shared keys
     * @param singleWriters clients that each own one key
     * @param pause         between two operations of one client, so a 2-core machine keeps room for the nodes
     */
    record Settings(String prefix, int sharedClients, int sharedKeys, int singleWriters, Duration pause) {
        static Settings standard(String prefix) {
            return new Settings(prefix, 4, 6, 2, Duration.ofMillis(1));
        }
    }

    /** What the clients did: counts, the slowest answer, and requests that did not get a definite answer. */
    record Stats(long ops, long ackedWrites, long unknown, long maxLatencyMillis, List<String> bugs) {
    }

    private final String api;
    private final History history;
    private final Settings settings;
    private final List<Thread> threads = new ArrayList<>();
    private final List<String> bugs = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AtomicLong ops = new AtomicLong();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong unknown = new AtomicLong();
    private final LongAccumulator maxLatency = new LongAccumulator(Math::max, 0);
    private volatile boolean stopped;

    HistoryLoad(String api, History history, Settings settings) {
        this.api = api;
        this.history = history;
        this.settings = settings;
    }

    /** Every key the clients use. */
    List<String> keys() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < settings.sharedKeys(); i++) {
            keys.add(settings.prefix() + "-shared-" + i);
        }
        for (int c = 0; c < settings.singleWriters(); c++) {
            keys.add(settings.prefix() + "-single-" + c);
        }
        return keys;
    }

    /** Starts the clients. */
    void start() {
        int id = 0;
        for (int c = 0; c < settings.sharedClients(); c++) {
            int client = id++;
            threads.add(Thread.ofPlatform().name("history-shared-" + client).start(() -> runShared(client)));
        }
        for (int c = 0; c < settings.singleWriters(); c++) {
            int client = id++;
            String key = settings.prefix() + "-single-" + c;
            threads.add(Thread.ofPlatform().name("history-single-" + client).start(() -> runSingle(client, key)));
        }
    }

    /** Stops the clients and waits for them (bounded by one request timeout). */
    Stats stop() throws InterruptedException {
        stopped = true;
        for (Thread t : threads) {
            t.join(REQUEST_TIMEOUT.plusSeconds(5).toMillis());
        }
        return new Stats(ops.get(), acked.get(), unknown.get(), maxLatency.get(), List.copyOf(bugs));
    }

    private void runShared(int client) {
        HttpClient http = client();
        List<String> keys = keys().subList(0, settings.sharedKeys());
        long n = 0;
        while (!stopped) {
            String key = keys.get(ThreadLocalRandom.current().nextInt(keys.size()));
            int dice = ThreadLocalRandom.current().nextInt(100);
            if (dice < 45) {
                write(http, client, key, "c" + client + "-" + n++);
            } else if (dice < 90) {
                read(http, client, key);
            } else {
                delete(http, client, key);
            }
            pause();
        }
    }

    private void runSingle(int client, String key) {
        HttpClient http = client();
        long n = 0;
        while (!stopped) {
            write(http, client, key, "c" + client + "-" + n++);
            read(http, client, key);
            if (n % 10 == 0) {
                delete(http, client, key);
                read(http, client, key);
            }
            pause();
        }
    }

    /** A read of every key, one at a time, recorded like the others: after the faults, nothing acknowledged may be gone. */
    void finalReads(int client) {
        readAll(client, keys());
    }

    /** Reads {@code keys} one at a time, as {@code client}. */
    void readAll(int client, List<String> keys) {
        HttpClient http = client();
        keys.forEach(key -> read(http, client, key));
    }

    /** Writes {@code keys} one at a time, as {@code client}, each with a value of its own. */
    void writeAll(int client, List<String> keys, String prefix) {
        HttpClient http = client();
        keys.forEach(key -> write(http, client, key, prefix + "-" + key));
    }

    /** Deletes {@code keys} one at a time, as {@code client}. */
    void deleteAll(int client, List<String> keys) {
        HttpClient http = client();
        keys.forEach(key -> delete(http, client, key));
    }

    /**
     * Every other write is a raw {@code PUT} of the value's text, every other read asks for the
     * raw bytes ({@code Accept: text/plain}): both forms of each go through the same history, and
     * a JSON string and a text body read back as the same characters either way.
     */
    private void write(HttpClient http, int client, String key, String value) {
        boolean raw = (value.hashCode() & 1) == 0;
        try (History.WriteCall call = history.write(client, key, value)) {
            HttpRequest.Builder request = raw
                    ? HttpRequest.newBuilder(URI.create(api + Http.dataPath(key))).header("Content-Type", "text/plain")
                            .PUT(HttpRequest.BodyPublishers.ofString(value, StandardCharsets.UTF_8))
                    : HttpRequest.newBuilder(URI.create(api + "/data")).header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(Http.toJson(Map.of("key", key, "value", value)),
                                    StandardCharsets.UTF_8));
            HttpResponse<String> r = send(http, request);
            if (r != null && r.statusCode() == 200) {
                call.ok();
                acked.incrementAndGet();
            } else {
                unexpected(r, (raw ? "PUT " : "POST ") + key);
            }
        }
    }

    private void read(HttpClient http, int client, String key) {
        boolean raw = rawReads.getAndIncrement() % 2 == 0;
        try (History.ReadCall call = history.read(client, key)) {
            HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(api + Http.dataPath(key))).GET();
            HttpResponse<String> r = send(http, raw ? request.header("Accept", "text/plain") : request);
            if (r != null && r.statusCode() == 200 && raw) {
                call.ok(r.body());
            } else if (r != null && r.statusCode() == 200) {
                JsonNode body = Http.JSON.readTree(r.body());
                call.ok(body.path("value").asText());
            } else if (r != null && r.statusCode() == 404) {
                call.ok(null);
            } else {
                unexpected(r, "GET " + key);
            }
        } catch (IOException e) {
            bugs.add("GET " + key + ": unreadable answer: " + e.getMessage());
        }
    }

    private void delete(HttpClient http, int client, String key) {
        try (History.DeleteCall call = history.delete(client, key)) {
            HttpResponse<String> r = send(http, HttpRequest.newBuilder(URI.create(api + Http.dataPath(key))).DELETE());
            if (r != null && (r.statusCode() == 200 || r.statusCode() == 404)) {
                call.ok(r.statusCode() == 200);
                acked.incrementAndGet();
            } else {
                unexpected(r, "DELETE " + key);
            }
        }
    }

    /** The answer, or null when the request failed (timeout, connection error): left UNKNOWN by the caller. */
    private HttpResponse<String> send(HttpClient http, HttpRequest.Builder request) {
        ops.incrementAndGet();
        long start = System.nanoTime();
        try {
            return http.send(request.timeout(REQUEST_TIMEOUT).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            maxLatency.accumulate((System.nanoTime() - start) / 1_000_000);
        }
    }

    private void unexpected(HttpResponse<String> r, String what) {
        unknown.incrementAndGet();
        if (r != null && r.statusCode() >= 400 && r.statusCode() < 500) {
            bugs.add(what + " answered " + r.statusCode() + ": " + r.body()); // a client mistake it did not make
        }
    }

    private void pause() {
        try {
            Thread.sleep(settings.pause()); // paces the load generator
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static HttpClient client() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(2)).build();
    }

    /**
     * Reads that definitely returned an outdated value: some acknowledged write or delete completed
     * before the read started and itself started after every operation that could have produced
     * what the read returned had completed. A lower bound of what the checker rejects, but one a
     * person can read; {@code finalOnly} counts only reads made after {@code sinceNanos} (lost writes).
     */
    static long definitelyStale(List<Op> ops, long sinceNanos) {
        Map<String, List<Op>> byKey = new HashMap<>();
        ops.forEach(o -> byKey.computeIfAbsent(o.key(), k -> new ArrayList<>()).add(o));
        long stale = 0;
        for (List<Op> keyOps : byKey.values()) {
            Map<String, Op> writerOf = new HashMap<>();
            for (Op o : keyOps) {
                if (o.kind() == Op.Kind.WRITE) {
                    writerOf.put(o.value(), o);
                }
            }
            for (Op r : keyOps) {
                if (r.kind() != Op.Kind.READ || r.outcome() != Op.Outcome.OK || r.invokedAt() - sinceNanos < 0) {
                    continue;
                }
                // when the returned state was last possibly produced: its writer's completion (or, for
                // absent, the latest completion of any delete, or never for UNKNOWN ones)
                long producedBy;
                if (r.value() != null) {
                    Op w = writerOf.get(r.value());
                    producedBy = w == null ? Long.MIN_VALUE : w.outcome() == Op.Outcome.OK ? w.completedAt() : Long.MAX_VALUE;
                } else {
                    producedBy = Long.MIN_VALUE; // the initial state
                    for (Op d : keyOps) {
                        if (d.kind() == Op.Kind.DELETE && d.invokedAt() - r.completedAt() < 0) {
                            producedBy = Math.max(producedBy, d.outcome() == Op.Outcome.OK ? d.completedAt() : Long.MAX_VALUE);
                        }
                    }
                }
                for (Op w : keyOps) {
                    boolean changes = w.kind() == Op.Kind.WRITE || w.kind() == Op.Kind.DELETE;
                    if (changes && w.outcome() == Op.Outcome.OK && w.completedAt() - r.invokedAt() < 0
                            && producedBy != Long.MAX_VALUE && w.invokedAt() > producedBy
                            && !(w.kind() == Op.Kind.DELETE && r.value() == null)
                            && !(w.kind() == Op.Kind.WRITE && w.value().equals(r.value()))) {
                        stale++;
                        break;
                    }
                }
            }
        }
        return stale;
    }
}
