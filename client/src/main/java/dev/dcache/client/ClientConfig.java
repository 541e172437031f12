package dev.dcache.client;

import dev.dcache.client.transport.RetryPolicy;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;

/**
 * Everything a {@link DcacheClient} is configured with, validated once; made by
 * {@link DcacheClientBuilder}.
 *
 * @param hosts          base URIs tried in turn ({@code http://host:port}, optionally with a path prefix,
 *                       no trailing slash); nginx, or masters directly
 * @param connectTimeout the limit of opening a connection
 * @param requestTimeout the limit of each try, from sending the request to the whole answer
 * @param retry          what is retried, how often and how long between tries
 * @param executor       what runs the HTTP client's and the retries' callbacks, or null for the JDK's default
 */
public record ClientConfig(List<URI> hosts, Duration connectTimeout, Duration requestTimeout, RetryPolicy retry,
                           Executor executor) {
    /**
     * Validates the settings and normalises the hosts (no trailing slash).
     *
     * @throws IllegalArgumentException naming the value when a host is not an absolute http(s) URI
     *                                  without query or fragment, or a timeout is not positive
     */
    public ClientConfig {
        hosts = hosts.stream().map(ClientConfig::base).toList();
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("at least one host is needed");
        }
        positive("connectTimeout", connectTimeout);
        positive("requestTimeout", requestTimeout);
        Objects.requireNonNull(retry, "retry");
    }

    private static URI base(URI uri) {
        String scheme = uri.getScheme();
        if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                || uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
            throw new IllegalArgumentException("host " + uri + " must be an http(s) URI such as http://127.0.0.1:8080");
        }
        String s = uri.toString();
        return URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
    }

    private static void positive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(name + " must be positive, not " + d);
        }
    }
}
