package dev.dcache.common.ring;

import dev.dcache.common.config.ConfigException;

import java.net.URI;

/**
 * Where an aux node listens, and the id it has on the ring. Written {@code id@host:port}, or
 * {@code host:port} when the id is the address itself.
 */
public record NodeAddress(String id, String host, int port) {
    public NodeAddress {
        if (id == null || id.isBlank() || host == null || host.isBlank() || port < 1 || port > 65535) {
            throw new IllegalArgumentException("bad node address " + id + "@" + host + ":" + port);
        }
    }

    /**
     * Parses {@code id@host:port} or {@code host:port}.
     *
     * @param variable the setting the text came from, named in the error
     * @throws ConfigException when the text is not an address
     */
    public static NodeAddress parse(String text, String variable) {
        String s = text.trim();
        String id = null;
        int at = s.indexOf('@');
        if (at >= 0) {
            id = s.substring(0, at);
            s = s.substring(at + 1);
        }
        int colon = s.lastIndexOf(':');
        if (colon <= 0 || colon == s.length() - 1) {
            throw new ConfigException(variable + " entries must be [id@]host:port, was '" + text + "'");
        }
        int port;
        try {
            port = Integer.parseInt(s.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new ConfigException(variable + " entry '" + text + "' has a non-numeric port");
        }
        if (port < 1 || port > 65535) {
            throw new ConfigException(variable + " entry '" + text + "' has port out of range");
        }
        if (id != null && id.isBlank()) {
            throw new ConfigException(variable + " entry '" + text + "' has an empty id");
        }
        String host = s.substring(0, colon);
        if (host.isBlank()) {
            throw new ConfigException(variable + " entry '" + text + "' has an empty host");
        }
        return new NodeAddress(id == null ? host + ":" + port : id, host, port);
    }

    /** {@code http://host:port}. */
    public URI baseUri() {
        return URI.create("http://" + host + ":" + port);
    }

    @Override
    public String toString() {
        return id + "@" + host + ":" + port;
    }
}
