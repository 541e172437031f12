package dev.dcache.common.config;

/**
 * Chooses the Logback configuration before the first logger exists: {@code LOG_FORMAT=json}
 * selects {@code logback-json.xml} (one JSON object per line), anything else the plain pattern.
 * Call it from a static initializer placed before any {@code Logger} field.
 */
public final class LogFormat {
    private LogFormat() {
    }

    public static void apply() {
        if ("json".equalsIgnoreCase(System.getenv("LOG_FORMAT"))
                && System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "logback-json.xml");
        }
    }
}
