package dev.dcache.master.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.dcache.common.http.ApiException;
import dev.dcache.common.wire.Entry;
import dev.dcache.master.config.MasterConfig;
import dev.dcache.master.routing.DataRouter;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;

import java.io.IOException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The public data API: parse and validate, call {@link DataRouter}, answer.
 *
 * <pre>
 * POST   /data           {"key": k, "value": v, "ttl": s?}  -> 200 {"key", "version", "replicas"}
 * GET    /data/{key}                                        -> 200 {"key", "value", "ttl"?} | 404
 * DELETE /data/{key}                                        -> 200 {"key", "deleted": true} | 404
 * POST   /data/bulk      [{"key", "value", "ttl"?}, ...]    -> 200 {"stored": n}
 * POST   /data/bulk/get  ["k", ...]                          -> 200 {"values": {k: v}, "missing": [k]}
 * </pre>
 * Validation is all-or-nothing: one bad item rejects the whole request before anything is written.
 */
public final class DataApi {
    private static final String DATA_PREFIX = "/data/";
    /** The 404 message of a read or delete of a key no owner holds. */
    static final String KEY_NOT_FOUND = "key not found";
    private static final Set<String> ENTRY_FIELDS = Set.of("key", "value", "ttl");

    private final DataRouter router;
    private final ObjectMapper mapper;
    private final KeyCodec keys;
    private final InstantSource clock;
    private final int maxValueBytes;
    private final int maxBulkItems;
    private final long maxTtlSeconds;

    public DataApi(DataRouter router, ObjectMapper mapper, MasterConfig config, InstantSource clock) {
        this.router = router;
        this.mapper = mapper;
        this.keys = new KeyCodec(config.maxKeyBytes());
        this.clock = clock;
        this.maxValueBytes = config.maxValueBytes();
        this.maxBulkItems = config.maxBulkItems();
        this.maxTtlSeconds = config.maxTtlSeconds();
    }

    public void register(JavalinConfig config) {
        config.routes.post("/data", this::put);
        config.routes.post("/data/bulk", this::bulkPut);
        config.routes.post("/data/bulk/get", this::bulkGet);
        config.routes.get("/data/<key>", this::get);
        config.routes.delete("/data/<key>", this::delete);
    }

    /** The body of a successful write. */
    public record PutResponse(String key, long version, int replicas) {
    }

    /** The body of a successful read; {@code ttl} is the remaining seconds, absent without expiry. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record GetResponse(String key, String value, Long ttl) {
    }

    /** The body of a successful delete. */
    public record DeleteResponse(String key, boolean deleted) {
    }

    /** The body of a bulk read. */
    public record BulkGetResponse(Map<String, String> values, List<String> missing) {
    }

    /**
     * The client request id of a write: the {@code X-Request-Id} header nginx sets (its own id for the
     * request, or the client's), which makes a retry of the request take effect once; null without one.
     *
     * @throws ApiException 400 when it is not 1..128 characters of {@code [A-Za-z0-9._:-]}
     */
    static String requestId(String header) {
        if (header == null) {
            return null;
        }
        if (!REQUEST_ID.matcher(header).matches()) {
            throw ApiException.badRequest(REQUEST_ID_HEADER + " must be 1..128 characters of A-Z a-z 0-9 . _ : -");
        }
        return header;
    }

    /** The header that names a client request. */
    static final String REQUEST_ID_HEADER = "X-Request-Id";
    private static final java.util.regex.Pattern REQUEST_ID = java.util.regex.Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    private void put(Context ctx) throws IOException {
        DataRouter.BulkItem item = entry(ctx.contentType(), ctx.bodyAsBytes());
        DataRouter.WriteResult r = router.put(item.key(), item.value(), item.ttlMillis(),
                requestId(ctx.header(REQUEST_ID_HEADER)));
        ctx.json(new PutResponse(item.key(), r.version(), r.replicas()));
    }

    /**
     * Parses and validates the body of {@code POST /data}.
     *
     * @throws ApiException  4xx for a wrong content type or an invalid entry
     * @throws IOException   (a {@code JacksonException}) for malformed JSON
     */
    DataRouter.BulkItem entry(String contentType, byte[] body) throws IOException {
        JsonNode node = readJson(contentType, body);
        if (!node.isObject()) {
            throw ApiException.badRequest("body must be a JSON object {\"key\", \"value\", \"ttl\"?}");
        }
        return item(node, "");
    }

    /** The key of {@code GET} or {@code DELETE /data/{key}} from the raw (encoded) path; 400 if invalid. */
    String key(String rawPath) {
        return keys.fromRawPath(rawPath, DATA_PREFIX);
    }

    private void get(Context ctx) {
        String key = key(ctx.req().getRequestURI());
        Entry e = router.get(key);
        if (e == null) {
            throw ApiException.notFound(KEY_NOT_FOUND);
        }
        ctx.json(new GetResponse(key, e.value(), remainingSeconds(e)));
    }

    private void delete(Context ctx) {
        String key = key(ctx.req().getRequestURI());
        if (!router.delete(key, requestId(ctx.header(REQUEST_ID_HEADER)))) {
            throw ApiException.notFound(KEY_NOT_FOUND);
        }
        ctx.json(new DeleteResponse(key, true));
    }

    private void bulkPut(Context ctx) throws IOException {
        JsonNode body = readJson(ctx);
        if (!body.isArray()) {
            throw ApiException.badRequest("body must be a JSON array of {\"key\", \"value\", \"ttl\"?}");
        }
        checkBulkSize(body.size());
        List<DataRouter.BulkItem> items = new ArrayList<>(body.size());
        for (int i = 0; i < body.size(); i++) {
            JsonNode node = body.get(i);
            if (!node.isObject()) {
                throw ApiException.badRequest("item " + i + ": must be a JSON object");
            }
            items.add(item(node, "item " + i + ": "));
        }
        ctx.json(Map.of("stored", items.isEmpty() ? 0 : router.putAll(items)));
    }

    private void bulkGet(Context ctx) throws IOException {
        JsonNode body = readJson(ctx);
        if (!body.isArray()) {
            throw ApiException.badRequest("body must be a JSON array of keys");
        }
        checkBulkSize(body.size());
        List<String> wanted = new ArrayList<>(body.size());
        for (int i = 0; i < body.size(); i++) {
            JsonNode k = body.get(i);
            if (!k.isTextual()) {
                throw ApiException.badRequest("item " + i + ": key must be a string");
            }
            wanted.add(keys.validate(k.textValue()));
        }
        Map<String, Entry> found = wanted.isEmpty() ? Map.of() : router.getAll(wanted);
        Map<String, String> values = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (String k : wanted) {
            Entry e = found.get(k);
            if (e != null) {
                values.put(k, e.value());
            } else if (!missing.contains(k)) {
                missing.add(k);
            }
        }
        ctx.json(new BulkGetResponse(values, missing));
    }

    private DataRouter.BulkItem item(JsonNode node, String where) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!ENTRY_FIELDS.contains(f)) {
                throw ApiException.badRequest(where + "unknown field '" + clip(f) + "' (allowed: key, value, ttl)");
            }
        }
        JsonNode k = node.get("key");
        if (k == null || !k.isTextual()) {
            throw ApiException.badRequest(where + "'key' must be a string");
        }
        String key = keys.validate(k.textValue());
        JsonNode v = node.get("value");
        if (v == null || !v.isTextual()) {
            throw ApiException.badRequest(where + "'value' must be a string");
        }
        String value = v.textValue();
        int valueBytes = Utf8.encodedLength(value);
        if (valueBytes < 0) {
            throw ApiException.badRequest(where + "'value' is not valid Unicode (lone surrogate)");
        }
        if (valueBytes > maxValueBytes) {
            throw ApiException.tooLarge(where + "value is " + valueBytes + " bytes; the limit is " + maxValueBytes);
        }
        return new DataRouter.BulkItem(key, value, ttlMillis(node.get("ttl"), where));
    }

    private long ttlMillis(JsonNode ttl, String where) {
        if (ttl == null || ttl.isNull()) {
            return 0;
        }
        if (!ttl.isIntegralNumber() || !ttl.canConvertToLong()
                || ttl.longValue() < 1 || ttl.longValue() > maxTtlSeconds) {
            throw ApiException.badRequest(where + "'ttl' must be a whole number of seconds in [1, " + maxTtlSeconds + "]");
        }
        return ttl.longValue() * 1000;
    }

    /** The {@code ttl} a read answers: whole seconds left, rounded up; null without expiry. */
    Long remainingSeconds(Entry e) {
        if (e.expiresAt() == 0) {
            return null;
        }
        long ms = e.expiresAt() - clock.millis();
        return Math.max(1, (ms + 999) / 1000);
    }

    private void checkBulkSize(int n) {
        if (n > maxBulkItems) {
            throw ApiException.tooLarge("bulk request of " + n + " items exceeds the limit of " + maxBulkItems);
        }
    }

    private JsonNode readJson(Context ctx) throws IOException {
        return readJson(ctx.contentType(), ctx.bodyAsBytes());
    }

    private JsonNode readJson(String type, byte[] bytes) throws IOException {
        if (type != null && !type.isBlank()) {
            String base = type.split(";", 2)[0].trim().toLowerCase(java.util.Locale.ROOT);
            if (!base.equals("application/json") && !base.endsWith("+json")) {
                throw new ApiException(415, "Content-Type must be application/json, was '" + clip(base) + "'");
            }
        }
        if (bytes.length == 0) {
            throw ApiException.badRequest("request body is empty; expected JSON");
        }
        if (!Utf8.isWellFormed(bytes)) {
            throw ApiException.badRequest("request body is not well-formed UTF-8");
        }
        JsonNode node = mapper.readTree(bytes);
        if (node == null || node.isMissingNode()) {
            throw ApiException.badRequest("request body is empty; expected JSON");
        }
        return node;
    }

    private static String clip(String s) {
        String t = s.length() > 60 ? s.substring(0, 60) + "..." : s;
        return t.replaceAll("\\p{Cntrl}", "?");
    }
}
