package dev.dcache.master.stall;

/**
 * When nginx sent a request, from the header it adds ({@code proxy_set_header X-Request-Start
 * "t=${msec}"}: epoch seconds with milliseconds, e.g. {@code t=1765000000.123}). nginx sets it
 * once per client request: a request it retries on another master carries the time of the first
 * try. The time is nginx's clock: on one host the master's own, on several it must agree with the
 * masters' to well within {@code MASTER_STALE_WRITE_MS} (NTP does).
 */
public final class RequestStart {
    /** The header nginx sets. */
    public static final String HEADER = "X-Request-Start";

    private RequestStart() {
    }

    /**
     * Milliseconds from {@code header}'s time to {@code nowMillis} (at least -1); -1 when the header
     * is absent or not of the form {@code t=<seconds>[.<millis>]} (a request that did not come
     * through nginx).
     */
    public static long millis(String header, long nowMillis) {
        if (header == null || !header.startsWith("t=") || header.length() > 32) {
            return -1;
        }
        String t = header.substring(2);
        int dot = t.indexOf('.');
        try {
            long seconds = Long.parseLong(dot < 0 ? t : t.substring(0, dot));
            long millis = 0;
            if (dot >= 0) {
                String frac = (t.substring(dot + 1) + "000").substring(0, 3);
                millis = Long.parseLong(frac);
            }
            if (seconds < 0 || millis < 0) {
                return -1;
            }
            return Math.max(-1, nowMillis - (seconds * 1000 + millis));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
