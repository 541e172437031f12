package dev.dcache.master.membership;

import dev.dcache.common.config.ConfigException;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.master.config.MasterConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Where the list of aux nodes comes from, re-read every heartbeat interval:
 * <ul>
 *   <li>{@code AUX_NODES}: a static list;</li>
 *   <li>{@code AUX_NODES_FILE}: one {@code [id@]host:port} per line, re-read when it changes (the
 *   local launcher appends to it to add a node);</li>
 *   <li>{@code AUX_DNS=name:port}: every address the name resolves to is a node (a compose service
 *   scaled with {@code --scale}, a Kubernetes headless service). Such a node's id is what its
 *   {@code /health} reports, asked once per address.</li>
 * </ul>
 * A source that fails (unreadable file, DNS error) is logged and its last good answer kept.
 */
public final class NodeSource {
    private static final Logger log = LoggerFactory.getLogger(NodeSource.class);

    private final List<NodeAddress> staticNodes;
    private final Path file;
    private final String dnsName;
    private final int dnsPort;
    private final Function<NodeAddress, String> idLookup;
    private final Resolver resolver;
    private final Map<String, String> idByAddress = new ConcurrentHashMap<>();
    private FileTime lastModified;
    private List<NodeAddress> fileNodes = List.of();
    private List<NodeAddress> dnsNodes = List.of();

    /**
     * @param dns      {@code name:port}, or null
     * @param idLookup asks a node for its id (its /health); returns null when it does not answer
     */
    public NodeSource(List<NodeAddress> staticNodes, Path file, String dns, Function<NodeAddress, String> idLookup) {
        this(staticNodes, file, dns, idLookup, InetAddress::getAllByName);
    }

    /** Resolves a name to all its addresses (the JVM's resolver outside tests). */
    @FunctionalInterface
    public interface Resolver {
        InetAddress[] resolve(String name) throws UnknownHostException;
    }

    /** As above, with the resolver given (tests change what a name resolves to). */
    public NodeSource(List<NodeAddress> staticNodes, Path file, String dns, Function<NodeAddress, String> idLookup,
                      Resolver resolver) {
        this.resolver = resolver;
        this.staticNodes = List.copyOf(staticNodes);
        this.file = file;
        this.idLookup = idLookup;
        if (dns == null) {
            this.dnsName = null;
            this.dnsPort = 0;
        } else {
            NodeAddress parsed = NodeAddress.parse(dns, "AUX_DNS");
            this.dnsName = parsed.host();
            this.dnsPort = parsed.port();
        }
    }

    /** The current list. */
    public synchronized List<NodeAddress> current() {
        if (file != null) {
            readFile();
        }
        if (dnsName != null) {
            resolve();
        }
        Map<String, NodeAddress> all = new LinkedHashMap<>();
        staticNodes.forEach(n -> all.put(n.id(), n));
        fileNodes.forEach(n -> all.putIfAbsent(n.id(), n));
        dnsNodes.forEach(n -> all.putIfAbsent(n.id(), n));
        return new ArrayList<>(all.values());
    }

    private void readFile() {
        try {
            FileTime t = Files.getLastModifiedTime(file);
            if (!t.equals(lastModified)) {
                fileNodes = MasterConfig.parseNodes(Files.readString(file), file.toString());
                lastModified = t;
            }
        } catch (NoSuchFileException e) {
            if (lastModified != null) {
                log.warn("aux nodes file {} disappeared; keeping the last list", file);
            }
        } catch (IOException | ConfigException e) {
            log.error("cannot use aux nodes file {}: {}; keeping the last list", file, e.getMessage());
        }
    }

    private void resolve() {
        InetAddress[] found;
        try {
            found = resolver.resolve(dnsName);
        } catch (UnknownHostException e) {
            log.warn("AUX_DNS name {} does not resolve: {}; keeping the last list", dnsName, e.getMessage());
            return;
        }
        List<NodeAddress> nodes = new ArrayList<>();
        for (InetAddress ip : found) {
            String host = ip.getHostAddress();
            String key = host + ":" + dnsPort;
            String id = idByAddress.get(key);
            if (id == null) {
                id = idLookup.apply(new NodeAddress(key, host, dnsPort));
                if (id == null) {
                    continue; // not answering yet; asked again next time
                }
                idByAddress.put(key, id);
            }
            nodes.add(new NodeAddress(id, host, dnsPort));
        }
        idByAddress.keySet().retainAll(nodes.stream().map(n -> n.host() + ":" + n.port()).toList());
        dnsNodes = nodes;
    }
}
