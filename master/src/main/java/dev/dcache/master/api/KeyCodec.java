package dev.dcache.master.api;

import dev.dcache.common.error.ApiException;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Validates keys and decodes them from request paths.
 *
 * <p>A key is 1..{@code maxKeyBytes} bytes of well-formed UTF-8 with no control characters
 * (U+0000-U+001F, U+007F). In a path it is one percent-encoded segment; the codec decodes the
 * raw request URI itself (strictly: a malformed escape or invalid UTF-8 is a 400) rather than
 * trusting the server's decoding, so {@code %2F}, {@code %25}, {@code %3F} and {@code %23}
 * round-trip exactly. An unencoded {@code /} inside the key is accepted too.
 */
public final class KeyCodec {
    private final int maxKeyBytes;

    public KeyCodec(int maxKeyBytes) {
        this.maxKeyBytes = maxKeyBytes;
    }

    /**
     * Decodes the key from a raw request URI that starts with {@code prefix}.
     *
     * @throws ApiException 400 for a malformed or invalid key
     */
    public String fromRawPath(String rawUri, String prefix) {
        int q = rawUri.indexOf('?');
        String raw = (q >= 0 ? rawUri.substring(0, q) : rawUri);
        if (!raw.startsWith(prefix)) {
            throw ApiException.badRequest("key missing from path");
        }
        return validate(percentDecode(raw.substring(prefix.length())));
    }

    /**
     * Checks a key from a JSON body.
     *
     * @return the key
     * @throws ApiException 400 when the key is empty, too long, malformed or has control characters
     */
    public String validate(String key) {
        if (key == null || key.isEmpty()) {
            throw ApiException.badRequest("key must be a non-empty string");
        }
        int bytes = Utf8.encodedLength(key); // also rejects lone surrogates
        if (bytes < 0) {
            throw ApiException.badRequest("key is not valid Unicode (lone surrogate)");
        }
        if (bytes > maxKeyBytes) {
            throw ApiException.badRequest("key is " + bytes + " bytes of UTF-8; the limit is " + maxKeyBytes);
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                throw ApiException.badRequest("key contains a control character at index " + i);
            }
        }
        return key;
    }

    static String percentDecode(String s) {
        if (s.indexOf('%') < 0) {
            return s; // plain ASCII segment, the common case
        }
        byte[] out = new byte[s.length()];
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                int hi = i + 1 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
                int lo = i + 2 < s.length() ? Character.digit(s.charAt(i + 2), 16) : -1;
                if (hi < 0 || lo < 0) {
                    throw ApiException.badRequest("malformed percent-encoding in key");
                }
                out[n++] = (byte) (hi << 4 | lo);
                i += 2;
            } else if (c > 0x7f) {
                throw ApiException.badRequest("non-ASCII characters in a path must be percent-encoded");
            } else {
                out[n++] = (byte) c;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(out, 0, n)).toString();
        } catch (CharacterCodingException e) {
            throw ApiException.badRequest("key is not valid UTF-8");
        }
    }
}
