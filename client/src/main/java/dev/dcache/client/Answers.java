package dev.dcache.client;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.dcache.client.error.DcacheException;
import dev.dcache.client.transport.Answer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * Reads the answer shapes of the API (docs/api.md) into the client's types. JSON values keep every
 * digit ({@code 1.10} stays {@code 1.10}, integers of any size), as the server keeps them.
 * A body that is not the expected shape is a {@link DcacheException} naming what was missing.
 */
final class Answers {
    private static final String ETAG = "ETag";
    private static final String JSON = "application/json";

    private final ObjectMapper mapper = exactMapper();

    /** A mapper whose trees keep numbers as written: decimals as {@code BigDecimal}, trailing zeros kept. */
    static ObjectMapper exactMapper() {
        return JsonMapper.builder()
                .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
                .build();
    }

    /** A read's envelope {@code {"key", "value", "version", "ttl"?, "contentType"?, "encoding"?}}. */
    Entry entry(Answer a) {
        JsonNode body = json(a);
        Long ttl = body.hasNonNull("ttl") ? body.get("ttl").asLong() : null;
        long version = body.hasNonNull("version") ? body.get("version").asLong() : etagVersion(a).orElse(0);
        return entry(text(body, "key", a), required(body, "value", a), version, ttl, body.path("contentType"),
                body.path("encoding"));
    }

    /**
     * A raw read's answer: the body and its type, the version from {@code ETag}, the TTL from
     * {@code X-TTL}. An {@code application/json} answer is always the envelope (the server prefers
     * it when the value's own type is also {@code application/json}), so it is unwrapped: a JSON
     * value becomes its JSON text, raw bytes their bytes.
     */
    RawValue raw(String key, Answer a) {
        String type = a.header("Content-Type").orElse("application/octet-stream");
        if (baseType(type).equals(JSON)) {
            Entry e = entry(a);
            return e.isRaw() ? new RawValue(key, e.contentType(), e.bytes(), e.version(), e.ttlSeconds())
                    : new RawValue(key, JSON, jsonText(e.value()), e.version(), e.ttlSeconds());
        }
        Long ttl = a.header("X-TTL").map(String::trim).filter(v -> v.matches("[0-9]{1,18}")).map(Long::valueOf)
                .orElse(null);
        return new RawValue(key, type, a.body(), etagVersion(a).orElse(0), ttl);
    }

    /** A write's answer {@code {"key", "version", "replicas"}}. */
    WriteResult write(Answer a) {
        JsonNode body = json(a);
        long version = body.hasNonNull("version") ? body.get("version").asLong() : etagVersion(a).orElse(0);
        return new WriteResult(text(body, "key", a), version, body.path("replicas").asInt());
    }

    /** A bulk write's answer {@code {"stored": n}}. */
    int stored(Answer a) {
        return required(json(a), "stored", a).asInt();
    }

    /** A bulk read's answer {@code {"values", "versions"?, "missing", "raw"?}}, ordered as {@code keys}. */
    BulkRead bulk(Collection<String> keys, Answer a) {
        JsonNode body = json(a);
        JsonNode values = required(body, "values", a);
        JsonNode versions = body.path("versions");
        JsonNode raw = body.path("raw");
        Map<String, Entry> found = new LinkedHashMap<>();
        for (String key : keys) {
            JsonNode value = values.get(key);
            if (value != null && !found.containsKey(key)) {
                JsonNode r = raw.path(key);
                found.put(key, entry(key, value, versions.path(key).asLong(0), null, r.path("contentType"),
                        r.path("encoding")));
            }
        }
        List<String> missing = keys.stream().filter(k -> !found.containsKey(k)).distinct().toList();
        return new BulkRead(found, missing);
    }

    /** Any JSON body, as a tree. */
    JsonNode json(Answer a) {
        try {
            JsonNode node = mapper.readTree(a.body());
            if (node == null || node.isMissingNode()) {
                throw unexpected(a, "an empty body", null);
            }
            return node;
        } catch (IOException e) {
            throw unexpected(a, "a body that is not JSON", e);
        }
    }

    /** The version in a strong or weak {@code ETag: "<version>"}, when there is one. */
    static OptionalLong etagVersion(Answer a) {
        String tag = a.header(ETAG).map(String::trim).orElse("");
        if (tag.startsWith("W/")) {
            tag = tag.substring(2);
        }
        if (tag.length() > 2 && tag.startsWith("\"") && tag.endsWith("\"")) {
            try {
                return OptionalLong.of(Long.parseLong(tag.substring(1, tag.length() - 1)));
            } catch (NumberFormatException notOurs) {
                return OptionalLong.empty();
            }
        }
        return OptionalLong.empty();
    }

    private static Entry entry(String key, JsonNode value, long version, Long ttl, JsonNode contentType,
                               JsonNode encoding) {
        if (!contentType.isTextual()) {
            return new Entry(key, value, version, ttl, null, null);
        }
        byte[] bytes;
        try {
            bytes = "base64".equals(encoding.asText()) ? Base64.getDecoder().decode(value.asText())
                    : value.asText().getBytes(StandardCharsets.UTF_8);
        } catch (IllegalArgumentException notBase64) {
            throw new DcacheException(0, "the raw value of key " + key + " is not valid base64", notBase64);
        }
        return new Entry(key, value, version, ttl, contentType.asText(), bytes);
    }

    private byte[] jsonText(JsonNode value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new DcacheException(0, "a JSON value could not be written back as text: " + e, e);
        }
    }

    private static String baseType(String contentType) {
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(java.util.Locale.ROOT);
    }

    private static String text(JsonNode body, String field, Answer a) {
        return required(body, field, a).asText();
    }

    private static JsonNode required(JsonNode body, String field, Answer a) {
        JsonNode node = body.get(field);
        if (node == null) {
            throw unexpected(a, "no \"" + field + "\" in " + abbreviate(body.toString()), null);
        }
        return node;
    }

    private static DcacheException unexpected(Answer a, String what, Throwable cause) {
        return new DcacheException(a.status(), a.host() + " answered " + a.status() + " with " + what, cause);
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
