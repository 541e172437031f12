package dev.dcache.master.api;

import java.util.Locale;

/**
 * What a read answers, from its request headers: the JSON envelope or the value's raw bytes
 * ({@code Accept}), and whether the client's copy is current ({@code If-None-Match}).
 *
 * <p>{@code Accept} is weighed as RFC 9110 says, kept small: each media range with its quality
 * ({@code q}, default 1); a type takes the quality of the most specific range that matches it
 * ({@code type/subtype} over {@code type/*} over {@code *}{@code /*}). The envelope is
 * {@code application/json}; the raw answer is the value's own type. The raw answer wins when its
 * quality is higher, or equal and from a more specific range (so {@code Accept: image/png}, or
 * {@code application/octet-stream, *}{@code /*;q=0.1}, read raw; {@code *}{@code /*} and no
 * {@code Accept} read the envelope). Neither acceptable: 406.
 */
final class ReadNegotiation {
    private ReadNegotiation() {
    }

    /** The answer a read gives. */
    enum Form {
        /** The JSON envelope. */
        ENVELOPE,
        /** The value's bytes, with its own content type. */
        RAW,
        /** Neither is acceptable: 406. */
        NONE
    }

    private static final String JSON = "application/json";

    /**
     * The form of a read's answer.
     *
     * @param accept  the {@code Accept} header, or null
     * @param rawType the content type of the value's raw bytes (parameters are ignored)
     */
    static Form form(String accept, String rawType) {
        if (accept == null || accept.isBlank()) {
            return Form.ENVELOPE;
        }
        long json = quality(accept, JSON);
        long raw = quality(accept, baseType(rawType));
        long qJson = json >> 2;
        long qRaw = raw >> 2;
        if (qJson == 0 && qRaw == 0) {
            return Form.NONE;
        }
        if (qRaw > qJson || (qRaw == qJson && (raw & 3) > (json & 3))) {
            return Form.RAW;
        }
        return Form.ENVELOPE;
    }

    /**
     * The quality {@code accept} gives {@code type} in thousandths, shifted left by 2, with the
     * specificity of the matching range in the low 2 bits (3 exact, 2 {@code type/*}, 1
     * {@code *}{@code /*}, 0 none).
     */
    private static long quality(String accept, String type) {
        int slash = type.indexOf('/');
        String major = slash < 0 ? type : type.substring(0, slash);
        int bestSpecificity = 0;
        long bestQuality = 0;
        for (String item : accept.split(",")) {
            String[] parts = item.split(";");
            String range = parts[0].trim().toLowerCase(Locale.ROOT);
            int specificity = range.equals(type) ? 3 : range.equals(major + "/*") ? 2 : range.equals("*/*") ? 1 : 0;
            if (specificity == 0 || specificity < bestSpecificity) {
                continue;
            }
            long q = 1000;
            for (int i = 1; i < parts.length; i++) {
                String p = parts[i].trim();
                if (p.length() > 2 && (p.charAt(0) == 'q' || p.charAt(0) == 'Q') && p.charAt(1) == '=') {
                    q = parseQuality(p.substring(2).trim());
                }
            }
            if (specificity > bestSpecificity || q > bestQuality) {
                bestSpecificity = specificity;
                bestQuality = q;
            }
        }
        return bestQuality << 2 | bestSpecificity;
    }

    /** A quality value in thousandths; a malformed one counts as 0 (not acceptable). */
    private static long parseQuality(String q) {
        try {
            double d = Double.parseDouble(q);
            return d >= 0 && d <= 1 ? Math.round(d * 1000) : 0;
        } catch (NumberFormatException malformed) {
            return 0;
        }
    }

    /** {@code type/subtype} of a content type, lower case, without parameters. */
    static String baseType(String contentType) {
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
    }

    /** The strong entity tag of a version: {@code "<version>"}. */
    static String etag(long version) {
        return "\"" + version + "\"";
    }

    /**
     * True when {@code ifNoneMatch} names {@code etag} (weak comparison: a {@code W/} tag matches
     * too) or is {@code *}: the client's copy is current, and a read answers 304.
     */
    static boolean notModified(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null) {
            return false;
        }
        for (String tag : ifNoneMatch.split(",")) {
            String t = tag.trim();
            if (t.equals("*")) {
                return true;
            }
            if (t.startsWith("W/")) {
                t = t.substring(2);
            }
            if (t.equals(etag)) {
                return true;
            }
        }
        return false;
    }
}
