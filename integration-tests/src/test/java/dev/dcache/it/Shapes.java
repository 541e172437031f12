package dev.dcache.it;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Values of every form the API stores (docs/api.md), and checks that one reads back as written:
 * for tests that move records around (transports, snapshots, backups, rebalancing).
 */
final class Shapes {
    /** Reads JSON keeping numbers as written, to compare values exactly. */
    static final ObjectMapper EXACT = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false);

    /** A JSON value of every kind but a string (a string is what every other test writes). */
    static final String JSON_VALUE = "{\"n\":1.10,\"big\":123456789012345678901234567890,\"ok\":true,"
            + "\"list\":[1,\"two\",{\"three\":[]}],\"nested\":{\"s\":\"\\u0000x\\u00e9\"},\"none\":null}";

    private Shapes() {
    }

    /** Every byte value, then {@code seed}'s digits: not UTF-8, so it is stored as bytes. */
    static byte[] binary(int seed) {
        byte[] digits = Integer.toString(seed).getBytes(StandardCharsets.US_ASCII);
        byte[] b = new byte[256 + digits.length];
        for (int i = 0; i < 256; i++) {
            b[i] = (byte) (255 - i);
        }
        System.arraycopy(digits, 0, b, 256, digits.length);
        return b;
    }

    /** Writes {@code bytes} as a raw value of type {@code image/x-test}. */
    static void putBinary(String master, String key, byte[] bytes) {
        Http.Reply put = Http.put(master + "/data/" + Http.encode(key), bytes, "image/x-test");
        assertThat(put.status()).as(put.body()).isEqualTo(200);
    }

    /** Checks {@code key} reads back as the raw {@code bytes}, raw and in the envelope. */
    static void assertBinary(String master, String key, byte[] bytes) {
        Http.Raw raw = Http.getRaw(master + "/data/" + Http.encode(key), "image/x-test");
        assertThat(raw.status()).as(key).isEqualTo(200);
        assertThat(raw.header("Content-Type")).isEqualTo("image/x-test");
        assertThat(raw.body()).as(key).isEqualTo(bytes);
        Http.Reply envelope = Http.get(master + "/data/" + Http.encode(key));
        assertThat(envelope.json().path("encoding").asText()).isEqualTo("base64");
        assertThat(java.util.Base64.getDecoder().decode(envelope.json().path("value").asText())).isEqualTo(bytes);
    }

    /** Writes {@link #JSON_VALUE} under {@code key}. */
    static void putJson(String master, String key) {
        Http.Reply put = Http.post(master + "/data", "{\"key\":\"" + key + "\",\"value\":" + JSON_VALUE + "}",
                "application/json");
        assertThat(put.status()).as(put.body()).isEqualTo(200);
    }

    /** Checks {@code key} reads back as {@link #JSON_VALUE}, every digit kept. */
    static void assertJson(String master, String key) {
        Http.Reply get = Http.get(master + "/data/" + Http.encode(key));
        assertThat(get.status()).as(key + " " + get.body()).isEqualTo(200);
        assertThat(exact(get.body()).get("value")).as(key).isEqualTo(exact(JSON_VALUE));
        assertThat(get.body()).contains("\"n\":1.10").contains("123456789012345678901234567890");
    }

    static JsonNode exact(String json) {
        try {
            return EXACT.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
