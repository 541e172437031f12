package dev.dcache.common.config;

import java.util.Map;

/**
 * Typed access to environment variables, for the module config records. Every failure names the
 * variable, what it must be and what it was.
 */
public final class Env {
    private final Map<String, String> vars;

    public Env(Map<String, String> vars) {
        this.vars = Map.copyOf(vars);
    }

    /** The process environment. */
    public static Env system() {
        return new Env(System.getenv());
    }

    /** The raw value, or {@code fallback} when unset or blank. */
    public String string(String name, String fallback) {
        String v = vars.get(name);
        return v == null || v.isBlank() ? fallback : v.trim();
    }

    /** The raw value; fails when unset or blank. */
    public String required(String name) {
        String v = string(name, null);
        if (v == null) {
            throw new ConfigException(name + " is required but not set");
        }
        return v;
    }

    public int intIn(String name, int fallback, int min, int max) {
        return (int) longIn(name, fallback, min, max);
    }

    public long longIn(String name, long fallback, long min, long max) {
        String v = string(name, null);
        if (v == null) {
            return fallback;
        }
        long parsed;
        try {
            parsed = Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new ConfigException(name + " must be an integer in [" + min + ", " + max + "], was '" + v + "'");
        }
        if (parsed < min || parsed > max) {
            throw new ConfigException(name + " must be in [" + min + ", " + max + "], was " + parsed);
        }
        return parsed;
    }

    public boolean bool(String name, boolean fallback) {
        String v = string(name, null);
        if (v == null) {
            return fallback;
        }
        return switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1", "yes", "on" -> true;
            case "false", "0", "no", "off" -> false;
            default -> throw new ConfigException(name + " must be true or false, was '" + v + "'");
        };
    }
}
