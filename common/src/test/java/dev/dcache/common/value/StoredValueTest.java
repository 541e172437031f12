package dev.dcache.common.value;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

class StoredValueTest {
    @Test
    void jsonString_isStoredAsItself() {
        assertThat(StoredValue.jsonString("hello")).isEqualTo("hello");
        assertThat(StoredValue.jsonString("")).isEmpty();
        assertThat(StoredValue.decode("hello")).isEqualTo(new StoredValue.Decoded(StoredValue.Kind.JSON_STRING, "hello", null));
    }

    @Test
    void jsonString_startingWithTheMark_roundTrips() {
        String s = "\u0000J{}";
        String stored = StoredValue.jsonString(s);
        assertThat(stored).isNotEqualTo(s);
        assertThat(StoredValue.decode(stored)).isEqualTo(new StoredValue.Decoded(StoredValue.Kind.JSON_STRING, s, null));
        assertThat(StoredValue.fromPlainString(s)).isEqualTo(stored);
        assertThat(StoredValue.fromPlainString(null)).isNull();
    }

    @Test
    void json_roundTrips() {
        StoredValue.Decoded d = StoredValue.decode(StoredValue.json("{\"a\":[1,2.50]}"));
        assertThat(d.kind()).isEqualTo(StoredValue.Kind.JSON);
        assertThat(d.text()).isEqualTo("{\"a\":[1,2.50]}");
        assertThat(d.rawContentType()).isEqualTo("application/json");
    }

    @Test
    void raw_utf8Bytes_areKeptAsText() {
        byte[] bytes = "héllo\nworld".getBytes(StandardCharsets.UTF_8);
        StoredValue.Decoded d = StoredValue.decode(StoredValue.raw("text/plain; charset=utf-8", bytes));
        assertThat(d.kind()).isEqualTo(StoredValue.Kind.RAW_TEXT);
        assertThat(d.text()).isEqualTo("héllo\nworld");
        assertThat(d.contentType()).isEqualTo("text/plain; charset=utf-8");
        assertThat(d.bytes()).isEqualTo(bytes);
    }

    @Test
    void raw_everyByteValue_roundTripsExactly() {
        byte[] bytes = new byte[512];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) i;
        }
        String stored = StoredValue.raw("application/octet-stream", bytes);
        StoredValue.Decoded d = StoredValue.decode(stored);
        assertThat(d.kind()).isEqualTo(StoredValue.Kind.RAW_BYTES);
        assertThat(d.bytes()).isEqualTo(bytes);
        assertThat(d.rawContentType()).isEqualTo("application/octet-stream");
        // what crosses the wire and the disk is the stored string's UTF-8: it must come back the same
        String overTheWire = new String(stored.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        assertThat(StoredValue.decode(overTheWire).bytes()).isEqualTo(bytes);
    }

    @Test
    void raw_empty_roundTrips() {
        StoredValue.Decoded d = StoredValue.decode(StoredValue.raw("application/x-empty", new byte[0]));
        assertThat(d.kind()).isEqualTo(StoredValue.Kind.RAW_TEXT);
        assertThat(d.bytes()).isEmpty();
    }

    @Test
    void encodedSurrogates_areNotUtf8_andStayBytes() {
        byte[] bytes = {(byte) 0xED, (byte) 0xA0, (byte) 0x80}; // U+D800 encoded: not well-formed UTF-8
        StoredValue.Decoded d = StoredValue.decode(StoredValue.raw("application/octet-stream", bytes));
        assertThat(d.kind()).isEqualTo(StoredValue.Kind.RAW_BYTES);
        assertThat(d.bytes()).isEqualTo(bytes);
    }

    @Test
    void decode_markedButNoForm_isTheStringItself() {
        assertThat(StoredValue.decode("\u0000").text()).isEqualTo("\u0000");
        assertThat(StoredValue.decode("\u0000Xabc").kind()).isEqualTo(StoredValue.Kind.JSON_STRING);
        assertThat(StoredValue.decode("\u0000Tnotype").text()).isEqualTo("\u0000Tnotype");
    }

    @Test
    void checkContentType_acceptsMediaTypes_refusesTheRest() {
        assertThat(StoredValue.checkContentType("image/png")).isNull();
        assertThat(StoredValue.checkContentType("text/plain; charset=utf-8")).isNull();
        assertThat(StoredValue.checkContentType("application/vnd.api+json")).isNull();
        assertThat(StoredValue.checkContentType("png")).isNotNull();
        assertThat(StoredValue.checkContentType("/png")).isNotNull();
        assertThat(StoredValue.checkContentType("image/")).isNotNull();
        assertThat(StoredValue.checkContentType("image/p ng")).isNotNull();
        assertThat(StoredValue.checkContentType("image/png\n")).isNotNull();
        assertThat(StoredValue.checkContentType("text/é")).isNotNull();
        assertThat(StoredValue.checkContentType("a/" + "b".repeat(300))).isNotNull();
    }
}
