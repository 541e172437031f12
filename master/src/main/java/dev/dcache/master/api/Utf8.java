package dev.dcache.master.api;

/** UTF-8 checks without encoding or decoding. */
final class Utf8 {
    private Utf8() {
    }

    /** Bytes {@code s} takes in UTF-8, or -1 when it holds a lone surrogate (not encodable). */
    static int encodedLength(String s) {
        int n = s.length();
        int bytes = 0;
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            if (c < 0x80) {
                bytes++;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 < n && Character.isLowSurrogate(s.charAt(i + 1))) {
                    bytes += 4;
                    i++;
                } else {
                    return -1;
                }
            } else if (Character.isLowSurrogate(c)) {
                return -1;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    /**
     * True when {@code b} is well-formed UTF-8 (RFC 3629): no overlong forms, no encoded
     * surrogates, nothing above U+10FFFF, no truncated sequences. Jackson's decoder accepts some
     * of these, so request bodies are checked before parsing.
     */
    static boolean isWellFormed(byte[] b) {
        int i = 0;
        int n = b.length;
        while (i < n) {
            int c = b[i];
            if (c >= 0) {
                i++;
                continue;
            }
            c &= 0xff;
            if (c >= 0xC2 && c <= 0xDF) {
                if (i + 1 >= n || !cont(b[i + 1])) {
                    return false;
                }
                i += 2;
            } else if (c >= 0xE0 && c <= 0xEF) {
                if (i + 2 >= n || !cont(b[i + 1]) || !cont(b[i + 2])) {
                    return false;
                }
                int c1 = b[i + 1] & 0xff;
                if (c == 0xE0 && c1 < 0xA0 || c == 0xED && c1 > 0x9F) {
                    return false; // overlong, or a surrogate
                }
                i += 3;
            } else if (c >= 0xF0 && c <= 0xF4) {
                if (i + 3 >= n || !cont(b[i + 1]) || !cont(b[i + 2]) || !cont(b[i + 3])) {
                    return false;
                }
                int c1 = b[i + 1] & 0xff;
                if (c == 0xF0 && c1 < 0x90 || c == 0xF4 && c1 > 0x8F) {
                    return false; // overlong, or above U+10FFFF
                }
                i += 4;
            } else {
                return false;
            }
        }
        return true;
    }

    private static boolean cont(byte b) {
        return (b & 0xC0) == 0x80;
    }
}
