package dev.dcache.client.transport;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A key as one percent-encoded path segment ({@code /data/{key}}): the UTF-8 bytes of every
 * character outside RFC 3986's unreserved set ({@code A-Z a-z 0-9 - . _ ~}) as {@code %XX}, so
 * {@code /}, {@code ?}, {@code %}, {@code #}, spaces and non-ASCII all round-trip. A key made only
 * of dots ({@code .}, {@code ..}) has its dots encoded too, since a path normaliser would otherwise
 * read them as "this" or "the parent" segment.
 */
public final class KeySegment {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();

    private KeySegment() {
    }

    /**
     * Encodes {@code key} as one path segment.
     *
     * @throws IllegalArgumentException when the key is empty or not valid Unicode (a lone surrogate),
     *                                  which no encoding could send as the same key
     */
    public static String encode(String key) {
        if (key.isEmpty()) {
            throw new IllegalArgumentException("a key must not be empty");
        }
        ByteBuffer utf8 = utf8(key);
        boolean dotsOnly = key.chars().allMatch(c -> c == '.');
        StringBuilder out = new StringBuilder(utf8.remaining() * 3);
        while (utf8.hasRemaining()) {
            int b = utf8.get() & 0xFF;
            if (unreserved(b) && !(dotsOnly && b == '.')) {
                out.append((char) b);
            } else {
                out.append('%').append(HEX[b >> 4]).append(HEX[b & 0xF]);
            }
        }
        return out.toString();
    }

    private static ByteBuffer utf8(String key) {
        try {
            return StandardCharsets.UTF_8.newEncoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .encode(CharBuffer.wrap(key));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("a key must be valid Unicode (it holds a lone surrogate)", e);
        }
    }

    private static boolean unreserved(int b) {
        return (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z') || (b >= '0' && b <= '9')
                || b == '-' || b == '.' || b == '_' || b == '~';
    }
}
