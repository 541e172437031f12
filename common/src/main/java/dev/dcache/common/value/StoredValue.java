package dev.dcache.common.value;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * How a client's value is held in a record's value string ({@code wire.Entry#value}), whatever its
 * form: a JSON string, any other JSON value, or raw bytes with a content type.
 *
 * <h2>Why one string, and why a JSON string is stored as itself</h2>
 * Every layer under the master (the binary protocol, the aux node's LRU and its weigher, snapshots,
 * backups, rebalancing, anti-entropy, the near cache) carries a value as one opaque string and
 * never looks inside it. Only the master's API gives it a form, so the forms are an encoding of
 * that string, and nothing below the master changed to carry them. The common case, a JSON string,
 * is stored as the string itself, exactly as before the other forms existed: a record written by an
 * older build reads back the same, and costs no byte more. Every other form starts with
 * {@link #MARK} (U+0000) and a letter:
 * <pre>
 *   any string not starting with U+0000     a JSON string, itself
 *   U+0000 'S' s                            a JSON string s that starts with U+0000
 *   U+0000 'J' json                         any other JSON value, as its compact JSON text
 *   U+0000 'T' content-type '\n' text       raw bytes that are well-formed UTF-8, decoded
 *   U+0000 'B' content-type '\n' latin-1    other raw bytes, one char (U+0000..U+00FF) per byte
 * </pre>
 * Raw bytes that are UTF-8 (most bodies: JSON, text, XML) cost one byte per byte on the wire and on
 * disk; other bytes are kept one char per byte, which the JVM's compact strings hold in one byte
 * of heap each (UTF-8 on the wire and on disk spends two bytes on each byte from 0x80).
 *
 * <h2>Records written before this encoding</h2>
 * Values were JSON strings only; one starting with U+0000 would read as a marked form. Snapshots
 * say which encoding their values are in (a header flag) and an older one passes its values
 * through {@link #fromPlainString}. Decoding is lenient: a marked string that is not one of the
 * forms above (an unknown letter, no content type) reads as the JSON string it is.
 */
public final class StoredValue {
    /** The first char of every form but a plain JSON string. */
    public static final char MARK = '\u0000';
    /** The longest content type a raw value keeps. */
    public static final int MAX_CONTENT_TYPE = 200;
    /** The content type a raw value without one is given. */
    public static final String DEFAULT_CONTENT_TYPE = "application/octet-stream";
    /** The type of a JSON string read raw: its characters. */
    public static final String TEXT_UTF8 = "text/plain; charset=utf-8";
    /** The type of any other JSON value read raw: its JSON text. */
    public static final String JSON = "application/json";

    private static final char JSON_STRING_MARK = 'S';
    private static final char JSON_MARK = 'J';
    private static final char TEXT_MARK = 'T';
    private static final char BYTES_MARK = 'B';

    private StoredValue() {
    }

    /** The forms of a value. */
    public enum Kind {
        /** A JSON string. */
        JSON_STRING,
        /** Any other JSON value (number, boolean, object, array). */
        JSON,
        /** Raw bytes that are well-formed UTF-8. */
        RAW_TEXT,
        /** Other raw bytes. */
        RAW_BYTES;

        /** True for the raw forms, written with {@code PUT}. */
        public boolean raw() {
            return this == RAW_TEXT || this == RAW_BYTES;
        }
    }

    /**
     * A decoded value.
     *
     * @param kind        its form
     * @param text        a JSON string's characters, a JSON value's text, raw UTF-8 bytes decoded,
     *                    or other raw bytes one char (U+0000..U+00FF) per byte
     * @param contentType the stored content type of a raw value; null for a JSON value
     */
    public record Decoded(Kind kind, String text, String contentType) {
        /** The bytes a raw read answers: the raw bytes, a JSON string's UTF-8, a JSON value's text. */
        public byte[] bytes() {
            return text.getBytes(kind == Kind.RAW_BYTES ? StandardCharsets.ISO_8859_1 : StandardCharsets.UTF_8);
        }

        /** The content type of a raw read: the stored one, or the JSON forms' own. */
        public String rawContentType() {
            return switch (kind) {
                case JSON_STRING -> TEXT_UTF8;
                case JSON -> JSON;
                case RAW_TEXT, RAW_BYTES -> contentType;
            };
        }
    }

    /** The stored form of the JSON string {@code s}. */
    public static String jsonString(String s) {
        return startsWithMark(s) ? MARK + String.valueOf(JSON_STRING_MARK) + s : s;
    }

    /** The stored form of a JSON value other than a string, given as its compact JSON text. */
    public static String json(String jsonText) {
        return MARK + String.valueOf(JSON_MARK) + jsonText;
    }

    /**
     * The stored form of raw bytes.
     *
     * @param contentType a valid content type ({@link #checkContentType}), kept as given
     */
    public static String raw(String contentType, byte[] bytes) {
        String text = utf8OrNull(bytes);
        char mark = text != null ? TEXT_MARK : BYTES_MARK;
        if (text == null) {
            text = new String(bytes, StandardCharsets.ISO_8859_1);
        }
        return new StringBuilder(contentType.length() + text.length() + 3)
                .append(MARK).append(mark).append(contentType).append('\n').append(text).toString();
    }

    /** Decodes a stored value (not null: a tombstone has none). */
    public static Decoded decode(String stored) {
        if (!startsWithMark(stored) || stored.length() < 2) {
            return new Decoded(Kind.JSON_STRING, stored, null);
        }
        char mark = stored.charAt(1);
        switch (mark) {
            case JSON_STRING_MARK:
                return new Decoded(Kind.JSON_STRING, stored.substring(2), null);
            case JSON_MARK:
                return new Decoded(Kind.JSON, stored.substring(2), null);
            case TEXT_MARK, BYTES_MARK:
                int nl = stored.indexOf('\n', 2);
                if (nl > 2) {
                    return new Decoded(mark == TEXT_MARK ? Kind.RAW_TEXT : Kind.RAW_BYTES,
                            stored.substring(nl + 1), stored.substring(2, nl));
                }
                return new Decoded(Kind.JSON_STRING, stored, null);
            default:
                return new Decoded(Kind.JSON_STRING, stored, null);
        }
    }

    /**
     * A value of a record written before this encoding (a JSON string, stored as itself) in this
     * encoding: the same string, unless it starts with {@link #MARK}. Null stays null (a tombstone).
     */
    public static String fromPlainString(String value) {
        return value == null ? null : jsonString(value);
    }

    /**
     * Checks a content type to keep with a raw value: {@code type/subtype} with optional
     * parameters, printable ASCII, at most {@link #MAX_CONTENT_TYPE} characters.
     *
     * @return null when valid, else why not
     */
    public static String checkContentType(String contentType) {
        if (contentType.isEmpty() || contentType.length() > MAX_CONTENT_TYPE) {
            return "Content-Type must be 1.." + MAX_CONTENT_TYPE + " characters";
        }
        for (int i = 0; i < contentType.length(); i++) {
            char c = contentType.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return "Content-Type must be printable ASCII";
            }
        }
        int semi = contentType.indexOf(';');
        String base = (semi < 0 ? contentType : contentType.substring(0, semi)).trim();
        int slash = base.indexOf('/');
        if (slash <= 0 || slash == base.length() - 1 || !isToken(base.substring(0, slash))
                || !isToken(base.substring(slash + 1))) {
            return "Content-Type must be type/subtype, e.g. application/octet-stream";
        }
        return null;
    }

    private static boolean isToken(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(Character.isLetterOrDigit(c) || "!#$%&'*+-.^_`|~".indexOf(c) >= 0)) {
                return false;
            }
        }
        return !s.isEmpty();
    }

    private static boolean startsWithMark(String s) {
        return !s.isEmpty() && s.charAt(0) == MARK;
    }

    /** The text of {@code bytes} when they are well-formed UTF-8, else null. */
    private static String utf8OrNull(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException notUtf8) {
            return null;
        }
    }
}
