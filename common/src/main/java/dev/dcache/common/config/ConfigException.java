package dev.dcache.common.config;

/** A bad or missing setting; the message names the environment variable and the bad value. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
