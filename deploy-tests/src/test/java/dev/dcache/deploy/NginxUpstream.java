package dev.dcache.deploy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the nginx template expects from its environment, and what a MASTER_SERVERS value points at. */
final class NginxUpstream {
    static final String TEMPLATE = "nginx/templates/dcache.conf.template";

    /** ${NAME} with an upper-case name: what envsubst fills in; nginx's own variables are lower case. */
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Z][A-Z0-9_]*)}");
    private static final Pattern SERVER = Pattern.compile("(?:^|;)\\s*server\\s+([^\\s:;]+):(\\d+)");

    private NginxUpstream() {
    }

    /** One {@code server host:port ...;} line of an upstream. */
    record Server(String host, int port) {
    }

    static Set<String> placeholders(String template) {
        Set<String> names = new TreeSet<>();
        Matcher m = PLACEHOLDER.matcher(template);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    static List<Server> servers(String masterServers) {
        List<Server> out = new ArrayList<>();
        Matcher m = SERVER.matcher(masterServers);
        while (m.find()) {
            out.add(new Server(m.group(1), Integer.parseInt(m.group(2))));
        }
        return out;
    }
}
