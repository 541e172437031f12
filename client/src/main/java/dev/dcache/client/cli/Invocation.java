package dev.dcache.client.cli;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A parsed command line: options may come before or after the command, as {@code --name value} or
 * {@code --name=value}; {@code --} ends them (for a value that starts with {@code -}); {@code -}
 * alone is an operand (stdin).
 *
 * @param help       {@code -h} / {@code --help} was given: print the usage and do nothing else
 * @param command    the command, null only with help
 * @param operands   the command's operands
 * @param hosts      where to send requests: every {@code --host} (repeatable, comma separated),
 *                   else {@code DCACHE_HOST}, else {@code http://127.0.0.1:8080}
 * @param timeout    {@code --timeout}: each request's limit, null for the client's default
 * @param retries    {@code --retries}: retries after the first try, null for the client's default
 * @param ttlSeconds {@code --ttl}, null when absent
 * @param json       {@code --json}
 * @param raw        {@code --raw}
 * @param type       {@code --type}, null when absent
 */
record Invocation(boolean help, Command command, List<String> operands, List<URI> hosts, Duration timeout,
                  Integer retries, Long ttlSeconds, boolean json, boolean raw, String type) {
    /** The host when neither {@code --host} nor {@code DCACHE_HOST} names one: nginx of {@code bin/cluster}. */
    static final String DEFAULT_HOST = "http://127.0.0.1:8080";
    private static final Set<String> WITH_VALUE = Set.of("host", "timeout", "retries", "ttl", "type");
    private static final Set<String> FLAGS = Set.of("json", "raw", "help");
    private static final Set<String> COMMAND_OPTIONS = Set.of("ttl", "json", "raw", "type");

    /**
     * Parses {@code args}; {@code env} supplies {@code DCACHE_HOST}.
     *
     * @throws UsageException naming what is wrong
     */
    static Invocation parse(String[] args, Map<String, String> env) {
        List<String> words = new ArrayList<>();
        List<String> hosts = new ArrayList<>();
        Map<String, String> values = new java.util.HashMap<>();
        Set<String> given = new LinkedHashSet<>();
        boolean optionsEnded = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (optionsEnded || a.equals("-") || !a.startsWith("-")) {
                words.add(a);
            } else if (a.equals("--")) {
                optionsEnded = true;
            } else if (a.equals("-h")) {
                given.add("help");
            } else if (a.startsWith("--")) {
                int eq = a.indexOf('=');
                String name = a.substring(2, eq < 0 ? a.length() : eq);
                if (FLAGS.contains(name) && eq < 0) {
                    given.add(name);
                } else if (WITH_VALUE.contains(name)) {
                    if (eq < 0 && i + 1 == args.length) {
                        throw new UsageException("--" + name + " needs a value");
                    }
                    String value = eq >= 0 ? a.substring(eq + 1) : args[++i];
                    if (name.equals("host")) {
                        hosts.add(value);
                    } else if (values.put(name, value) != null) {
                        throw new UsageException("--" + name + " given twice");
                    }
                    given.add(name);
                } else {
                    throw new UsageException("unknown option '" + a + "'");
                }
            } else {
                throw new UsageException("unknown option '" + a + "' (use '--' before a value that starts with '-')");
            }
        }
        if (given.contains("help")) {
            return new Invocation(true, null, List.of(), List.of(), null, null, null, false, false, null);
        }
        if (words.isEmpty()) {
            throw new UsageException("no command given");
        }
        Command command = Command.named(words.get(0));
        List<String> operands = List.copyOf(words.subList(1, words.size()));
        Set<String> commandOptions = new LinkedHashSet<>(given);
        commandOptions.retainAll(COMMAND_OPTIONS);
        command.check(operands.size(), commandOptions);
        if (given.contains("json") && given.contains("raw")) {
            throw new UsageException("--json and --raw exclude each other");
        }
        if (given.contains("type") && !given.contains("raw")) {
            throw new UsageException("--type applies only with --raw");
        }
        if (command == Command.MSET && operands.size() % 2 != 0) {
            throw new UsageException("mset takes KEY VALUE pairs; '" + operands.get(operands.size() - 1)
                    + "' has no value");
        }
        return new Invocation(false, command, operands, hosts(hosts, env),
                values.containsKey("timeout") ? timeout(values.get("timeout")) : null,
                values.containsKey("retries") ? (int) number("retries", values.get("retries"), 0, 100) : null,
                values.containsKey("ttl") ? number("ttl", values.get("ttl"), 1, Long.MAX_VALUE) : null,
                given.contains("json"), given.contains("raw"), values.get("type"));
    }

    private static List<URI> hosts(List<String> given, Map<String, String> env) {
        List<String> raw = given.isEmpty() ? List.of(env.getOrDefault("DCACHE_HOST", DEFAULT_HOST)) : given;
        List<URI> hosts = new ArrayList<>();
        for (String list : raw) {
            for (String h : list.split(",")) {
                String host = h.strip();
                if (host.isEmpty()) {
                    continue;
                }
                try {
                    hosts.add(URI.create(host.contains("://") ? host : "http://" + host));
                } catch (IllegalArgumentException e) {
                    throw new UsageException("--host '" + host + "' is not a URL such as " + DEFAULT_HOST);
                }
            }
        }
        if (hosts.isEmpty()) {
            throw new UsageException("--host names no host");
        }
        return hosts;
    }

    private static Duration timeout(String seconds) {
        try {
            double s = Double.parseDouble(seconds);
            if (s > 0 && s <= 3600) {
                return Duration.ofMillis(Math.max(1, Math.round(s * 1000)));
            }
        } catch (NumberFormatException notANumber) {
            // refused below
        }
        throw new UsageException("--timeout must be seconds in (0, 3600], such as 2 or 0.5, not '" + seconds + "'");
    }

    private static long number(String option, String value, long min, long max) {
        try {
            long n = Long.parseLong(value);
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException notANumber) {
            // refused below
        }
        throw new UsageException("--" + option + " must be a whole number from " + min
                + (max == Long.MAX_VALUE ? " up" : " to " + max) + ", not '" + value + "'");
    }
}
