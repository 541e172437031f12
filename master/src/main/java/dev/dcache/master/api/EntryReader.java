package dev.dcache.master.api;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.dcache.common.error.ApiException;
import dev.dcache.common.value.StoredValue;
import dev.dcache.master.routing.DataRouter;

import java.io.IOException;
import java.io.StringWriter;

/**
 * Reads one entry {@code {"key", "value", "ttl"?}} off a JSON parser, validating as it goes: the
 * one reader of {@code POST /data}'s body and of every item of a bulk write.
 *
 * <p><b>A value comes back as it was written.</b> A JSON value other than a string is kept as its
 * compact JSON text, copied token by token from the request, and a number's token is copied as
 * the client spelled it ({@code 1.10}, {@code -0}, {@code 1e-2}, a 40-digit integer): never parsed
 * into a double or a {@code BigDecimal} and printed again. Only whitespace between tokens is
 * dropped. Streaming also means a bulk write never builds a tree of its items.
 */
final class EntryReader {
    private final JsonFactory factory;
    private final KeyCodec keys;
    private final int maxValueBytes;
    private final long maxTtlSeconds;

    EntryReader(JsonFactory factory, KeyCodec keys, int maxValueBytes, long maxTtlSeconds) {
        this.factory = factory;
        this.keys = keys;
        this.maxValueBytes = maxValueBytes;
        this.maxTtlSeconds = maxTtlSeconds;
    }

    /**
     * The entry whose {@code START_OBJECT} is {@code p}'s current token; leaves {@code p} on its
     * {@code END_OBJECT}.
     *
     * @param where prefix of error messages ("item 3: "), or ""
     * @throws ApiException 400 for a wrong field or type, 413 for a value over the limit
     * @throws IOException  (a {@code JacksonException}) for malformed JSON
     */
    DataRouter.BulkItem read(JsonParser p, String where) throws IOException {
        String key = null;
        String stored = null;
        long ttlMillis = 0;
        for (JsonToken t = p.nextToken(); t == JsonToken.FIELD_NAME; t = p.nextToken()) {
            String field = p.currentName();
            JsonToken v = p.nextToken();
            switch (field) {
                case "key" -> {
                    if (v != JsonToken.VALUE_STRING) {
                        throw ApiException.badRequest(where + "'key' must be a string");
                    }
                    key = keys.validate(p.getText());
                }
                case "value" -> stored = value(p, v, where);
                case "ttl" -> ttlMillis = ttlMillis(p, v, where);
                default -> throw ApiException.badRequest(where + "unknown field '" + DataApi.clip(field)
                        + "' (allowed: key, value, ttl)");
            }
        }
        if (key == null) {
            throw ApiException.badRequest(where + "'key' must be a string");
        }
        if (stored == null) {
            throw nullValue(where);
        }
        return new DataRouter.BulkItem(key, stored, ttlMillis);
    }

    private String value(JsonParser p, JsonToken t, String where) throws IOException {
        if (t == JsonToken.VALUE_NULL) {
            throw nullValue(where);
        }
        boolean string = t == JsonToken.VALUE_STRING;
        String text = string ? p.getText() : copy(p);
        int bytes = Utf8.encodedLength(text);
        if (bytes < 0) {
            throw ApiException.badRequest(where + "'value' is not valid Unicode (lone surrogate)");
        }
        if (bytes > maxValueBytes) {
            throw ApiException.tooLarge(where + "value is " + bytes + " bytes; the limit is " + maxValueBytes);
        }
        return string ? StoredValue.jsonString(text) : StoredValue.json(text);
    }

    /** The compact JSON text of the value starting at {@code p}'s current token, numbers verbatim. */
    private String copy(JsonParser p) throws IOException {
        StringWriter out = new StringWriter();
        try (JsonGenerator g = factory.createGenerator(out)) {
            int depth = 0;
            do {
                JsonToken t = p.currentToken();
                if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
                    g.writeNumber(p.getText());
                } else {
                    g.copyCurrentEvent(p);
                }
                if (t.isStructStart()) {
                    depth++;
                } else if (t.isStructEnd()) {
                    depth--;
                }
            } while (depth > 0 && p.nextToken() != null);
        }
        return out.toString();
    }

    private long ttlMillis(JsonParser p, JsonToken t, String where) throws IOException {
        if (t == JsonToken.VALUE_NULL) {
            return 0;
        }
        boolean whole = t == JsonToken.VALUE_NUMBER_INT && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER;
        return ttlMillis(whole ? p.getLongValue() : 0, where);
    }

    /**
     * The TTL rule of every write, a JSON field or {@code PUT}'s query: whole seconds in
     * [1, {@code MAX_TTL_SECONDS}].
     *
     * @param seconds the TTL asked for; 0 (or less) when it was not a whole number
     * @return milliseconds
     * @throws ApiException 400 outside that range
     */
    long ttlMillis(long seconds, String where) {
        if (seconds < 1 || seconds > maxTtlSeconds) {
            throw ApiException.badRequest(where + "'ttl' must be a whole number of seconds in [1, " + maxTtlSeconds + "]");
        }
        return seconds * 1000;
    }

    private static ApiException nullValue(String where) {
        return ApiException.badRequest(where + "'value' is missing or null: a value is any JSON value but null"
                + " (DELETE the key to remove it)");
    }
}
