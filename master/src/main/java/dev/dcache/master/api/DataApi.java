package dev.dcache.master.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.util.RawValue;
import dev.dcache.common.admission.Admission;
import dev.dcache.common.admission.ByteBudget;
import dev.dcache.common.error.ApiException;
import dev.dcache.common.http.CheckedBody;
import dev.dcache.common.http.AdmittedRoutes;
import dev.dcache.common.value.StoredValue;
import dev.dcache.common.wire.Entry;
import dev.dcache.master.config.MasterConfig;
import dev.dcache.master.routing.DataRouter;
import dev.dcache.master.stall.RequestStart;
import dev.dcache.master.stall.StallWatch;
import io.javalin.config.JavalinConfig;
import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * The public data API: the one parser and validator of every data request, and the bulk routes.
 * The single-key routes are served by {@link DataFastPath} with this class's parsing
 * ({@link #key}, {@link #entry}, {@link #requestId}) and answer shapes; the bulk routes run here, on
 * Javalin: parse and validate, call {@link DataRouter}, answer.
 *
 * <pre>
 * POST   /data           {"key": k, "value": v, "ttl": s?}  -> 200 {"key", "version", "replicas"}
 * PUT    /data/{key}?ttl=s   raw bytes                       -> 200 {"key", "version", "replicas"}
 * GET    /data/{key}                                        -> 200 {"key", "value", "version", "ttl"?, ...} | raw | 304 | 404
 * DELETE /data/{key}                                        -> 200 {"key", "deleted": true} | 404
 * POST   /data/bulk      [{"key", "value", "ttl"?}, ...]    -> 200 {"stored": n}
 * POST   /data/bulk/get  ["k", ...]                          -> 200 {"values", "versions", "missing", "raw"?}
 * </pre>
 * A value is any JSON value but null, or raw bytes with a content type (docs/api.md); it is held
 * as one string in {@link StoredValue}'s encoding, which this class makes and reads back.
 * Validation is all-or-nothing: one bad item rejects the whole request before anything is written.
 *
 * <p>Memory: every route runs admitted ({@link AdmittedRoutes}: its body's bytes reserved before it is
 * read). A bulk write is parsed as it arrives, item by item (Jackson's streaming parser), so the
 * master holds its values once, never the body beside them. Answers that carry values (a read, a
 * bulk read) add their bytes to the request's reservation before they are held; the reservation
 * lasts until the answer is on the wire. A bulk read answers at most {@code MAX_BODY_BYTES} of
 * records (413 past that: ask for fewer keys).
 *
 * <p>Writes that reached this master after nginx gave up on them, because the master was stalled
 * ({@link StallWatch}), are refused, not applied: nginx has already answered them, and a newer
 * write may have been made through another master since.
 */
public final class DataApi {
    private static final String DATA_PREFIX = "/data/";
    /** The 404 message of a read or delete of a key no owner holds. */
    static final String KEY_NOT_FOUND = "key not found";

    private final DataRouter router;
    private final ObjectMapper mapper;
    /** Reads {@code POST /data}'s entry and each item of a bulk write. */
    private final EntryReader entries;
    private final KeyCodec keys;
    private final InstantSource clock;
    private final int maxValueBytes;
    private final int maxBulkItems;
    private final long maxBodyBytes;
    private final Admission admission;
    private final StallWatch stalls;

    public DataApi(DataRouter router, ObjectMapper mapper, MasterConfig config, InstantSource clock,
                   Admission admission, StallWatch stalls) {
        this.router = router;
        this.mapper = mapper;
        this.keys = new KeyCodec(config.maxKeyBytes());
        this.entries = new EntryReader(mapper.getFactory(), keys, config.maxValueBytes(), config.maxTtlSeconds());
        this.clock = clock;
        this.maxValueBytes = config.maxValueBytes();
        this.maxBulkItems = config.maxBulkItems();
        this.maxBodyBytes = config.maxBodyBytes();
        this.admission = admission;
        this.stalls = stalls;
    }

    /** The bulk routes, served by Javalin; every other {@code /data} route is {@link DataFastPath}'s. */
    static final Set<String> BULK_ROUTES = Set.of("/data/bulk", "/data/bulk/get");

    /** Registers the bulk routes; the single-key routes are served by {@link DataFastPath}. */
    public void register(JavalinConfig config) {
        config.routes.post("/data/bulk", this::bulkPut);
        config.routes.post("/data/bulk/get", this::bulkGet);
    }

    /** The body of a successful write. */
    public record PutResponse(String key, long version, int replicas) {
    }

    /**
     * The body of a successful read: {@code value} is the JSON value (a {@code String}, or a
     * {@link RawValue} of JSON text), or for raw bytes their text or base64 ({@code encoding});
     * {@code ttl} is the remaining seconds, absent without expiry; {@code contentType} and
     * {@code encoding} only for raw bytes.
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record GetResponse(String key, Object value, long version, Long ttl, String contentType, String encoding) {
    }

    /** How a raw value is shown in a JSON answer. */
    public record RawInfo(String contentType, String encoding) {
    }

    /** The body of a successful delete. */
    public record DeleteResponse(String key, boolean deleted) {
    }

    /** The body of a bulk read; {@code raw} lists the keys holding raw bytes, absent when none. */
    public record BulkGetResponse(Map<String, Object> values, Map<String, Long> versions, List<String> missing,
                                  @JsonInclude(JsonInclude.Include.NON_EMPTY) Map<String, RawInfo> raw) {
    }

    /** The value of {@code e} as a JSON answer shows it: see {@link GetResponse}. */
    static Object shownValue(StoredValue.Decoded v) {
        return switch (v.kind()) {
            case JSON_STRING, RAW_TEXT -> v.text();
            case JSON -> new RawValue(v.text());
            case RAW_BYTES -> Base64.getEncoder().encodeToString(v.bytes());
        };
    }

    /** How a raw value is shown in a JSON answer; null for a JSON value. */
    static RawInfo rawInfo(StoredValue.Decoded v) {
        return !v.kind().raw() ? null
                : new RawInfo(v.contentType(), v.kind() == StoredValue.Kind.RAW_TEXT ? "utf-8" : "base64");
    }

    /** The JSON answer of a read of {@code e}, whose value decodes to {@code v}. */
    GetResponse getResponse(String key, Entry e, StoredValue.Decoded v) {
        RawInfo raw = rawInfo(v);
        return new GetResponse(key, shownValue(v), e.version(), remainingSeconds(e),
                raw == null ? null : raw.contentType(), raw == null ? null : raw.encoding());
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

    /**
     * Parses and validates the body of {@code POST /data}.
     *
     * @throws ApiException  4xx for a wrong content type or an invalid entry
     * @throws IOException   (a {@code JacksonException}) for malformed JSON
     */
    DataRouter.BulkItem entry(String contentType, byte[] body) throws IOException {
        checkJsonBody(contentType, body);
        try (JsonParser p = mapper.createParser(body)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw ApiException.badRequest("request body is empty; expected JSON");
            }
            if (t != JsonToken.START_OBJECT) {
                throw ApiException.badRequest("body must be a JSON object {\"key\", \"value\", \"ttl\"?}");
            }
            DataRouter.BulkItem item = entries.read(p, "");
            if (p.nextToken() != null) {
                throw ApiException.badRequest("malformed JSON: more content after the object");
            }
            return item;
        }
    }

    /** The key of {@code GET} or {@code DELETE /data/{key}} from the raw (encoded) path; 400 if invalid. */
    String key(String rawPath) {
        return keys.fromRawPath(rawPath, DATA_PREFIX);
    }

    /**
     * Refuses a write carrying {@code requestStart} ({@value RequestStart#HEADER}) that reached this
     * master too late to be applied: nginx gave up on it while this master was stalled
     * ({@link StallWatch}).
     *
     * @throws ApiException 503 with {@code Retry-After} when it is late
     */
    void refuseIfLate(String requestStart) {
        long late = stalls.lateMillis(requestStart);
        if (late >= 0) {
            throw admission.refuseStale(late);
        }
    }

    /** Bytes of the budget an answer carrying {@code value} holds: its characters, as a body byte each. */
    static long answerBytes(String value) {
        return value == null ? 0 : value.length();
    }

    /**
     * Refuses a conditional write ({@code If-Match}, {@code If-None-Match}): not offered, since a
     * compare-and-set cannot be decided once by RF owners without consensus (docs/consistency.md).
     * Refused rather than ignored: a client that sent a condition must not have the write applied
     * without it.
     *
     * @throws ApiException 400 when either header is present
     */
    static void refuseConditional(String ifMatch, String ifNoneMatch) {
        if (ifMatch != null || ifNoneMatch != null) {
            throw ApiException.badRequest("conditional writes (" + (ifMatch != null ? "If-Match" : "If-None-Match")
                    + ") are not supported: a compare-and-set needs consensus among a key's owners"
                    + " (docs/consistency.md); write without the condition");
        }
    }

    /**
     * The content type kept with a raw value: the request's, or {@value StoredValue#DEFAULT_CONTENT_TYPE}.
     *
     * @throws ApiException 400 when it is not {@code type/subtype} (params allowed) of printable ASCII
     */
    static String rawContentType(String header) {
        if (header == null || header.isBlank()) {
            return StoredValue.DEFAULT_CONTENT_TYPE;
        }
        String type = header.trim();
        String invalid = StoredValue.checkContentType(type);
        if (invalid != null) {
            throw ApiException.badRequest(invalid);
        }
        return type;
    }

    /**
     * The TTL of {@code PUT /data/{key}} from its query: {@code ttl=<seconds>} or nothing.
     *
     * @return milliseconds, 0 for none
     * @throws ApiException 400 for another parameter, a repeated one, or a TTL out of range
     */
    long ttlQueryMillis(String query) {
        if (query == null || query.isEmpty()) {
            return 0;
        }
        String ttl = null;
        for (String pair : query.split("&", -1)) {
            int eq = pair.indexOf('=');
            String name;
            try {
                name = java.net.URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), java.nio.charset.StandardCharsets.UTF_8);
            } catch (IllegalArgumentException badEscape) {
                throw ApiException.badRequest("malformed query: " + badEscape.getMessage());
            }
            if (!name.equals("ttl")) {
                throw ApiException.badRequest("unknown query parameter '" + clip(name) + "' (allowed: ttl)");
            }
            if (ttl != null) {
                throw ApiException.badRequest("'ttl' given twice");
            }
            ttl = eq < 0 ? "" : pair.substring(eq + 1);
        }
        long seconds;
        try {
            seconds = Long.parseLong(ttl);
        } catch (NumberFormatException notANumber) {
            seconds = 0;
        }
        return entries.ttlMillis(seconds, "");
    }

    /**
     * The stored form of a raw value.
     *
     * @throws ApiException 413 past {@code MAX_VALUE_BYTES}
     */
    String rawValue(String contentType, byte[] body) {
        if (body.length > maxValueBytes) {
            throw ApiException.tooLarge("value is " + body.length + " bytes; the limit is " + maxValueBytes);
        }
        return StoredValue.raw(contentType, body);
    }

    /** The largest raw value, in bytes. */
    int maxValueBytes() {
        return maxValueBytes;
    }

    private void bulkPut(Context ctx) throws IOException {
        refuseConditional(ctx.header("If-Match"), ctx.header("If-None-Match"));
        refuseIfLate(ctx.header(RequestStart.HEADER));
        checkContentType(ctx.contentType());
        CheckedBody body = new CheckedBody(ctx.req().getInputStream(), maxBodyBytes, true);
        List<DataRouter.BulkItem> items;
        try {
            items = bulkItems(body);
        } catch (JacksonException e) {
            body.throwIfRefused();
            throw e;
        } catch (IOException e) {
            body.throwIfRefused();
            throw ApiException.badRequest("request body could not be read");
        }
        ctx.json(Map.of("stored", items.isEmpty() ? 0 : router.putAll(items)));
    }

    /**
     * The items of a bulk write, parsed and validated one at a time as the body arrives: the
     * master holds each item's strings, never the body's bytes beside them.
     */
    private List<DataRouter.BulkItem> bulkItems(InputStream body) throws IOException {
        try (JsonParser p = mapper.createParser(body)) {
            JsonToken t = p.nextToken();
            if (t == null) {
                throw ApiException.badRequest("request body is empty; expected JSON");
            }
            if (t != JsonToken.START_ARRAY) {
                throw ApiException.badRequest("body must be a JSON array of {\"key\", \"value\", \"ttl\"?}");
            }
            List<DataRouter.BulkItem> items = new ArrayList<>();
            for (t = p.nextToken(); t != JsonToken.END_ARRAY; t = p.nextToken()) {
                int i = items.size();
                if (i == maxBulkItems) {
                    throw ApiException.tooLarge("bulk request of more than " + maxBulkItems + " items exceeds the limit of "
                            + maxBulkItems);
                }
                if (t != JsonToken.START_OBJECT) {
                    throw ApiException.badRequest("item " + i + ": must be a JSON object");
                }
                items.add(entries.read(p, "item " + i + ": "));
            }
            if (p.nextToken() != null) {
                throw ApiException.badRequest("malformed JSON: more content after the array");
            }
            return items;
        }
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
        Map<String, Entry> found = wanted.isEmpty() ? Map.of() : router.getAll(wanted, answerCharge(ctx));
        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, Long> versions = new LinkedHashMap<>();
        Map<String, RawInfo> raw = new LinkedHashMap<>();
        List<String> missing = new ArrayList<>();
        for (String k : wanted) {
            Entry e = found.get(k);
            if (e != null) {
                StoredValue.Decoded v = StoredValue.decode(e.value());
                values.put(k, shownValue(v));
                versions.put(k, e.version());
                RawInfo info = rawInfo(v);
                if (info != null) {
                    raw.put(k, info);
                }
            } else if (!missing.contains(k)) {
                missing.add(k);
            }
        }
        AdmittedRoutes.streamJson(ctx, mapper, new BulkGetResponse(values, versions, missing, raw));
    }

    /**
     * What a bulk read's answers from the aux nodes may take, charged as they are read: at most
     * {@code MAX_BODY_BYTES} in all (413: ask for fewer keys), each byte reserved first.
     */
    private LongConsumer answerCharge(Context ctx) {
        ByteBudget.Lease lease = AdmittedRoutes.lease(ctx);
        AtomicLong answered = new AtomicLong();
        return bytes -> {
            if (answered.addAndGet(bytes) > maxBodyBytes) {
                throw ApiException.tooLarge("the records of these keys come to more than " + maxBodyBytes
                        + " bytes; ask for fewer keys at once");
            }
            lease.grow(bytes);
        };
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
        return readJson(ctx.contentType(), AdmittedRoutes.body(ctx));
    }

    private JsonNode readJson(String type, byte[] bytes) throws IOException {
        checkJsonBody(type, bytes);
        JsonNode node = mapper.readTree(bytes);
        if (node == null || node.isMissingNode()) {
            throw ApiException.badRequest("request body is empty; expected JSON");
        }
        return node;
    }

    /** Refuses a body that is not JSON's: a wrong content type (415), empty, not UTF-8 (400). */
    private static void checkJsonBody(String type, byte[] bytes) {
        checkContentType(type);
        if (bytes.length == 0) {
            throw ApiException.badRequest("request body is empty; expected JSON");
        }
        if (!Utf8.isWellFormed(bytes)) {
            throw ApiException.badRequest("request body is not well-formed UTF-8");
        }
    }

    private static void checkContentType(String type) {
        if (type != null && !type.isBlank()) {
            String base = ReadNegotiation.baseType(type);
            if (!base.equals("application/json") && !base.endsWith("+json")) {
                throw new ApiException(415, "Content-Type must be application/json, was '" + clip(base) + "'");
            }
        }
    }

    /** {@code s} fit for an error message: at most 60 characters, control characters as '?'. */
    static String clip(String s) {
        String t = s.length() > 60 ? s.substring(0, 60) + "..." : s;
        return t.replaceAll("\\p{Cntrl}", "?");
    }
}
