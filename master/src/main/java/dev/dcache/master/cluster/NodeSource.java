package dev.dcache.master.cluster;

import dev.dcache.common.config.ConfigException;
import dev.dcache.common.ring.NodeAddress;
import dev.dcache.master.config.MasterConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where the list of aux nodes comes from: the static {@code AUX_NODES} plus, when set, the lines
 * of {@code AUX_NODES_FILE}, which is re-read when it changes. A file that cannot be parsed is
 * logged and ignored: the last good list stays in force.
 */
public final class NodeSource {
    private static final Logger log = LoggerFactory.getLogger(NodeSource.class);

    private final List<NodeAddress> staticNodes;
    private final Path file;
    private FileTime lastModified;
    private List<NodeAddress> fileNodes = List.of();

    public NodeSource(List<NodeAddress> staticNodes, Path file) {
        this.staticNodes = List.copyOf(staticNodes);
        this.file = file;
    }

    /** The current list; re-reads the file if it changed since the last call. */
    public synchronized List<NodeAddress> current() {
        if (file != null) {
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
        Map<String, NodeAddress> all = new LinkedHashMap<>();
        staticNodes.forEach(n -> all.put(n.id(), n));
        fileNodes.forEach(n -> all.putIfAbsent(n.id(), n));
        return new ArrayList<>(all.values());
    }
}
