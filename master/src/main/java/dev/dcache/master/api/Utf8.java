package dev.dcache.master.api;

/** UTF-8 length of a Java string without encoding it. */
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
}
